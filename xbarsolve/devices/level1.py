"""SPICE level-1 NMOS (Shichman–Hodges), as ngspice's MOS1 evaluates it at T = TNOM.

Equations (forward mode, V_DS >= 0):

    sarg = sqrt(PHI − V_BS)                      for V_BS <= 0
         = max(0, sqrt(PHI) − V_BS / (2 sqrt(PHI)))  for V_BS > 0
    V_th = VTO + GAMMA · (sarg − sqrt(PHI))
    β    = KP · W / (L − 2·LD)
    cutoff      (V_GS <= V_th):         I_DS = 0
    saturation  (V_GS − V_th <= V_DS):  I_DS = β/2 · (V_GS − V_th)² · (1 + LAMBDA·V_DS)
    linear      (otherwise):            I_DS = β · V_DS · (V_GS − V_th − V_DS/2) · (1 + LAMBDA·V_DS)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .base import check_finite, check_positive
from .mosfet import NMOSModel


@njit(cache=True)
def level1_core(vgs, vds, vbs, q):
    """Level-1 drain current (A) and gm, gds, gmbs (S); q = [VTO, β, GAMMA, PHI, LAMBDA]."""
    vto = q[0]
    beta = q[1]
    gamma = q[2]
    phi = q[3]
    lam = q[4]
    sqphi = math.sqrt(phi)
    if vbs <= 0.0:
        sarg = math.sqrt(phi - vbs)
        dsarg = -0.5 / sarg
    else:
        sarg = sqphi - vbs / (2.0 * sqphi)
        dsarg = -0.5 / sqphi
        if sarg <= 0.0:
            sarg = 0.0
            dsarg = 0.0
    vgst = vgs - (vto + gamma * (sarg - sqphi))
    if vgst <= 0.0:
        return 0.0, 0.0, 0.0, 0.0
    clm = 1.0 + lam * vds
    if vgst <= vds:
        ids = 0.5 * beta * vgst * vgst * clm
        gm = beta * vgst * clm
        gds = 0.5 * lam * beta * vgst * vgst
    else:
        ids = beta * vds * (vgst - 0.5 * vds) * clm
        gm = beta * vds * clm
        gds = beta * (vgst - vds) * clm + lam * beta * vds * (vgst - 0.5 * vds)
    gmbs = -gm * gamma * dsarg
    return ids, gm, gds, gmbs


@dataclass(frozen=True)
class Level1NMOS(NMOSModel):
    """SPICE level-1 NMOS card.  Defaults are ngspice's (W = L = 100 µm).

    vto (V), kp (A/V²), gamma (√V), phi (V, > 0), lambda_ (1/V, >= 0),
    w, l, ld (m; W > 0, L − 2·LD > 0).
    """

    vto: float = 0.0
    kp: float = 2e-5
    gamma: float = 0.0
    phi: float = 0.6
    lambda_: float = 0.0
    w: float = 100e-6
    l: float = 100e-6
    ld: float = 0.0

    core_param_names = ("vto", "beta", "gamma", "phi", "lambda")
    core = staticmethod(level1_core)

    def __post_init__(self):
        self._check_common()
        check_finite("vto", self.vto)
        check_positive("kp", self.kp)
        check_positive("gamma", self.gamma, allow_zero=True)
        check_positive("phi", self.phi)
        check_positive("lambda_", self.lambda_, allow_zero=True)
        check_positive("w", self.w)
        check_positive("l", self.l)
        check_positive("ld", self.ld, allow_zero=True)
        if self.l - 2 * self.ld <= 0:
            raise ValueError(f"effective length l - 2*ld must be > 0, got l={self.l}, ld={self.ld}")

    @property
    def beta(self) -> float:
        """Transconductance factor KP·W/(L − 2·LD) (A/V²)."""
        return self.kp * self.w / (self.l - 2 * self.ld)

    @property
    def vth_estimate(self) -> float:
        return self.vto

    def core_parameters(self) -> np.ndarray:
        return np.array([self.vto, self.beta, self.gamma, self.phi, self.lambda_])
