"""NMOS transistors as two-terminal elements (drain a, source b).

A transistor model supplies only its *core*: the channel current in forward
mode (V_DS >= 0) and its derivatives,

    core(vgs, vds, vbs, q) -> (ids, gm, gds, gmbs)      # A, S, S, S

with ``q`` the model's own parameter vector.  This module wraps any core into
a solver element: it swaps source and drain when V_DS < 0 (the device is
symmetric), adds the bulk–drain and bulk–source junction diodes with the
SPICE conductance ``gmin`` across each, and limits Newton steps the way SPICE
does (``fetlim`` on V_GS, ``limvds`` on V_DS, ``pnjlim`` on the junctions).
The gate and body draw no DC current and sit at fixed voltages, which are
element parameters ``v_gate`` and ``v_body`` (V).

Element parameter vector: ``[v_gate, v_body, junction_is, thermal_voltage,
gmin, vth_estimate, *core parameters]``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .base import ElementModel, Stamp, check_finite, check_positive

# k/q with the CODATA-2014 constants ngspice uses (1.38064852e-23 J/K, 1.6021766208e-19 C),
# so thermal voltages agree with ngspice to the last digit.
BOLTZMANN_OVER_Q = 1.38064852e-23 / 1.6021766208e-19  # V/K
NMOS_HEADER = ("v_gate", "v_body", "junction_is", "thermal_voltage", "gmin", "vth_estimate")
N_HEADER = len(NMOS_HEADER)
_MAX_EXP_ARG = 709.0


@njit(cache=True)
def junction_current(v, isat, vt, gmin):
    """Bulk junction diode current (A) and conductance (S) at forward bias ``v`` (V).

    As ngspice's MOS1 (measured against ngspice 39): I = IS·(exp(V/Vt) − 1)
    above −3·Vt, and the saturated reverse current I = −IS below it, with
    ``gmin`` (S) in parallel throughout.
    """
    if v <= -3.0 * vt:
        return gmin * v - isat, gmin
    e = math.exp(min(v / vt, _MAX_EXP_ARG))
    return isat * (e - 1.0) + gmin * v, isat * e / vt + gmin


@njit(cache=True)
def fetlim(vnew, vold, vto):
    """SPICE's limit on the change of a gate–source voltage (V) per Newton step."""
    vtsthi = abs(2.0 * (vold - vto)) + 2.0
    vtstlo = abs(vold - vto) + 1.0
    vtox = vto + 3.5
    delv = vnew - vold
    if vold >= vto:
        if vold >= vtox:
            if delv <= 0.0:
                if vnew >= vtox:
                    if -delv > vtstlo:
                        vnew = vold - vtstlo
                else:
                    vnew = max(vnew, vto + 2.0)
            elif delv >= vtsthi:
                vnew = vold + vtsthi
        else:
            if delv <= 0.0:
                vnew = max(vnew, vto - 0.5)
            else:
                vnew = min(vnew, vto + 4.0)
    else:
        if delv <= 0.0:
            if -delv > vtsthi:
                vnew = vold - vtsthi
        else:
            vtemp = vto + 0.5
            if vnew <= vtemp:
                if delv > vtstlo:
                    vnew = vold + vtstlo
            else:
                vnew = vtemp
    return vnew


@njit(cache=True)
def limvds(vnew, vold):
    """SPICE's limit on the change of a drain–source voltage (V) per Newton step."""
    if vold >= 3.5:
        if vnew > vold:
            vnew = min(vnew, 3.0 * vold + 2.0)
        elif vnew < 3.5:
            vnew = max(vnew, 2.0)
    else:
        if vnew > vold:
            vnew = min(vnew, 4.0)
        else:
            vnew = max(vnew, -0.5)
    return vnew


@njit(cache=True)
def pnjlim(vnew, vold, vt, vcrit):
    """SPICE's limit on the change of a pn-junction forward voltage (V)."""
    if vnew > vcrit and abs(vnew - vold) > 2.0 * vt:
        if vold > 0.0:
            arg = 1.0 + (vnew - vold) / vt
            if arg > 0.0:
                vnew = vold + vt * math.log(arg)
            else:
                vnew = vcrit
        else:
            vnew = vt * math.log(vnew / vt)
    return vnew


@njit(cache=True)
def step_fraction(vold, vnew, vlimited):
    """Fraction of the step vold→vnew that the limited value allows, in (0, 1]."""
    delta = vnew - vold
    if delta == 0.0:
        return 1.0
    frac = (vlimited - vold) / delta
    if frac >= 1.0 or frac <= 0.0:  # limiter did not shorten the step in its direction
        return 1.0
    return frac


@njit(cache=True)
def channel_step_fraction(va, vb, dva, dvb, vg, vth):
    """Fraction of the Newton step (dva, dvb) (V) that SPICE's NMOS limiting accepts: ``fetlim`` on
    V_GS and ``limvds`` on V_DS, the source being the lower of the two terminals; gate at ``vg``,
    threshold estimate ``vth`` (V)."""
    van = va + dva
    vbn = vb + dvb
    if va >= vb:
        vgs_old, vgs_new = vg - vb, vg - vbn
        vds_old, vds_new = va - vb, van - vbn
    else:
        vgs_old, vgs_new = vg - va, vg - van
        vds_old, vds_new = vb - va, vbn - van
    frac = step_fraction(vgs_old, vgs_new, fetlim(vgs_new, vgs_old, vth))
    return min(frac, step_fraction(vds_old, vds_new, limvds(vds_new, vds_old)))


def _kernel_tag(core) -> str:
    """A name unique to the model whose ``core`` the kernels wrap: its module and qualified name."""
    py_func = getattr(core, "py_func", core)
    return f"nmos_kernels[{py_func.__module__}.{py_func.__qualname__}]"


def _unique_njit(tag: str):
    """``njit``, after giving the function a qualified name unique to its model (``tag``).

    Why: numba names a compiled function after its module, qualified name, argument types and
    a counter local to the process.  The closures below have one qualified name and one
    signature for every model, and cached kernels (compiled by another process, with that
    process's counters) are linked into this one's: two different closures could then share a
    symbol and the linker keep the wrong body -- observed as wrong gradients with respect to
    v_gate after a particular cache state (docs/bsim4.md, known issue).
    """
    def decorate(fn):
        fn.__qualname__ = f"{tag}.{fn.__name__}"
        return njit(fn)
    return decorate


def make_nmos_kernels(core, core_terminal=None, core_current=None, core_gate_body=None):
    """Build the element kernels (evaluate, current, step_limit, parameter_partials) around ``core``.

    Optional faster cores for the solver's hot loops (default: derived from ``core``):
    ``core_terminal(vgs, vds, vbs, q) -> (ids, gds, gm + gds + gmbs)`` -- the two
    derivatives a two-terminal element needs (gate and body are fixed, so the
    source voltage moves vgs, vds and vbs together); ``core_current(vgs, vds,
    vbs, q) -> ids`` -- the current alone; ``core_gate_body(vgs, vds, vbs, q) -> (gm, gmbs)``
    -- the derivatives gradients with respect to the gate and body voltages need.
    """
    tag = _kernel_tag(core)
    if core_gate_body is None:
        @_unique_njit(tag)
        def core_gate_body(vgs, vds, vbs, q):
            ids, gm, gds, gmbs = core(vgs, vds, vbs, q)
            return gm, gmbs
    if core_terminal is None:
        @_unique_njit(tag)
        def core_terminal(vgs, vds, vbs, q):
            ids, gm, gds, gmbs = core(vgs, vds, vbs, q)
            return ids, gds, gm + gds + gmbs
    if core_current is None:
        @_unique_njit(tag)
        def core_current(vgs, vds, vbs, q):
            return core(vgs, vds, vbs, q)[0]

    @_unique_njit(tag)
    def evaluate(va, vb, p):
        vg = p[0]
        vbody = p[1]
        q = p[N_HEADER:]
        if va >= vb:  # a is the drain
            ids, gds, g_source = core_terminal(vg - vb, va - vb, vbody - vb, q)
            i = ids
            di_dva = gds
            di_dvb = -g_source
        else:  # b is the drain: mirror the device
            ids, gds, g_source = core_terminal(vg - va, vb - va, vbody - va, q)
            i = -ids
            di_dva = g_source
            di_dvb = -gds
        ja, gja = junction_current(vbody - va, p[2], p[3], p[4])
        jb, gjb = junction_current(vbody - vb, p[2], p[3], p[4])
        # junction current flows from the body out of the device into the node
        return Stamp(i - ja, -i - jb,
                     di_dva + gja, di_dvb,
                     -di_dva, -di_dvb + gjb)

    @_unique_njit(tag)
    def current(va, vb, p):
        vg = p[0]
        vbody = p[1]
        q = p[N_HEADER:]
        if va >= vb:
            i = core_current(vg - vb, va - vb, vbody - vb, q)
        else:
            i = -core_current(vg - va, vb - va, vbody - va, q)
        ja, _ = junction_current(vbody - va, p[2], p[3], p[4])
        jb, _ = junction_current(vbody - vb, p[2], p[3], p[4])
        return i - ja, -i - jb

    @_unique_njit(tag)
    def step_limit(va, vb, dva, dvb, p):
        vbody = p[1]
        van = va + dva
        vbn = vb + dvb
        frac = channel_step_fraction(va, vb, dva, dvb, p[0], p[5])
        if p[2] > 0.0:
            vt = p[3]
            vcrit = vt * math.log(vt / (math.sqrt(2.0) * p[2]))
            for vold, vnew in ((vbody - va, vbody - van), (vbody - vb, vbody - vbn)):
                frac = min(frac, step_fraction(vold, vnew, pnjlim(vnew, vold, vt, vcrit)))
        return frac

    @_unique_njit(tag)
    def parameter_partials(va, vb, p, k):
        """k = 0: d/dv_gate; k = 1: d/dv_body; other k: NaN (not differentiable)."""
        vg = p[0]
        vbody = p[1]
        q = p[N_HEADER:]
        if k != 0 and k != 1:
            return math.nan, math.nan
        if va >= vb:
            gm, gmbs = core_gate_body(vg - vb, va - vb, vbody - vb, q)
            sign = 1.0
        else:
            gm, gmbs = core_gate_body(vg - va, vb - va, vbody - va, q)
            sign = -1.0
        if k == 0:
            d = sign * gm
            return d, -d
        d = sign * gmbs
        _, gja = junction_current(vbody - va, p[2], p[3], p[4])
        _, gjb = junction_current(vbody - vb, p[2], p[3], p[4])
        return d - gja, -d - gjb

    return evaluate, current, step_limit, parameter_partials


@dataclass(frozen=True)
class NMOSModel(ElementModel):
    """Base of NMOS transistor models.

    Fields shared by every transistor card (SPICE defaults):
    ``junction_is`` -- bulk junction saturation current IS (A, >= 0; 0 turns
    the diodes off, leaving ``gmin``); ``gmin`` -- conductance (S) across each
    junction, as SPICE adds; ``temperature`` -- device temperature (K), sets
    the thermal voltage of the junctions.

    Subclasses define ``core_param_names``, a numba ``core`` (see module
    docstring), :meth:`core_parameters` and :attr:`vth_estimate`; the element
    kernels are generated once per subclass.
    """

    junction_is: float = 1e-14
    gmin: float = 1e-12
    temperature: float = 300.15

    core_param_names: tuple = ()
    core = None
    core_terminal = None
    core_current = None
    core_gate_body = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        core = cls.__dict__.get("core")
        if core is not None:
            def plain(name):
                f = cls.__dict__.get(name)
                return f.__func__ if isinstance(f, staticmethod) else f

            ev, cur, lim, part = make_nmos_kernels(plain("core"), plain("core_terminal"),
                                                   plain("core_current"), plain("core_gate_body"))
            cls.evaluate = staticmethod(ev)
            cls.current = staticmethod(cur)
            cls.step_limit = staticmethod(lim)
            cls.parameter_partials = staticmethod(part)
            cls.param_names = NMOS_HEADER + tuple(cls.core_param_names)

    def _check_common(self):
        check_positive("junction_is", self.junction_is, allow_zero=True)
        check_positive("gmin", self.gmin, allow_zero=True)
        check_positive("temperature", self.temperature)

    @property
    def thermal_voltage(self) -> float:
        """kT/q at the device temperature (V)."""
        return BOLTZMANN_OVER_Q * self.temperature

    @property
    def vth_estimate(self) -> float:  # pragma: no cover - overridden
        """Zero-bias threshold voltage (V), used only to limit Newton steps."""
        return 0.0

    def core_parameters(self) -> np.ndarray:  # pragma: no cover - overridden
        """The core's parameter vector ``q``."""
        return np.zeros(0)

    def element_parameters(self, *, v_gate: float, v_body: float = 0.0) -> np.ndarray:
        """Parameter vector of one transistor with gate at ``v_gate`` and body at ``v_body`` (V)."""
        header = np.array([check_finite("v_gate", v_gate), check_finite("v_body", v_body),
                           self.junction_is, self.thermal_voltage, self.gmin, self.vth_estimate])
        return np.concatenate([header, self.core_parameters()])

    def element_parameter_array(self, *, v_gate, v_body=0.0) -> np.ndarray:
        """Parameter vectors of n transistors with gates at ``v_gate`` (V, array) and bodies at
        ``v_body`` (V, scalar or array), (n, len(param_names))."""
        v_gate = np.asarray(v_gate, dtype=float).reshape(-1)
        v_body = np.broadcast_to(np.asarray(v_body, dtype=float), v_gate.shape)
        for name, arr in (("v_gate", v_gate), ("v_body", v_body)):
            if not np.all(np.isfinite(arr)):
                check_finite(name, float(arr[~np.isfinite(arr)][0]))  # raises with the message
        out = np.tile(self.element_parameters(v_gate=0.0, v_body=0.0), (v_gate.size, 1))
        out[:, 0] = v_gate
        out[:, 1] = v_body
        return out

    def channel_current(self, vgs, vds, vbs=0.0):
        """Forward-mode channel current I_DS (A) and (gm, gds, gmbs) (S) at the given biases (V).

        Scalar convenience wrapper of the numba core, for plots and tests.
        """
        vds = float(vds)
        if vds < 0:
            raise ValueError(f"vds must be >= 0 for the forward-mode core, got {vds}")
        return type(self).core(float(vgs), vds, float(vbs), self.core_parameters())
