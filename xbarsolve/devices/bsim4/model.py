"""``Bsim4NMOS``: a BSIM4 NMOS from a published model card, as the circuit solver's transistor.

>>> from xbarsolve.devices import Bsim4NMOS
>>> fet = Bsim4NMOS.from_card("validation/cards/ptm45_hp.pm", w=1e-6, l=45e-9)   # doctest: +SKIP

The card is read as written (:mod:`.card`), sized for the instance (:mod:`.binning`),
and evaluated at the device temperature by the kernels of :mod:`.element` (the
sub-circuit with its internal nodes), :mod:`.intrinsic`, :mod:`.channel` and
:mod:`.leakage`.  A model selector whose DC branch is not implemented is refused
with an error naming it (:data:`IMPLEMENTED_SELECTORS`); selectors and parameters
without a DC effect (capacitance, charge, noise, NQS models) are accepted and kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..base import check_finite
from ..mosfet import NMOSModel
from . import element
from .binning import SizeDependentParameters, size_dependent
from .card import InstanceParameters, ModelCard, format_model_card, read_model_card
from .checks import check_device
from .junction import N_DIODE, junction_diodes
from .layout import NAMES
from .parasitics import N_SERIES, parasitic_network
from .setup import intrinsic_constants, version_number

#: DC model selectors and the values whose DC branch is implemented here
IMPLEMENTED_SELECTORS = {
    "mobmod": (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
    "rdsmod": (0.0, 1.0),
    "igcmod": (0.0, 1.0, 2.0),
    "igbmod": (0.0, 1.0),
    "rgatemod": (0.0, 1.0),
    "rbodymod": (0.0, 1.0, 2.0),
    "tempmod": (0.0, 1.0, 2.0, 3.0),
    "mtrlmod": (0.0,),
    "gidlmod": (0.0, 1.0),
}
#: card versions whose ngspice code is reproduced: 4.0-4.5 (BSIM4v5), 4.6.x, 4.7.x and 4.8.x
IMPLEMENTED_VERSIONS = (4.5, 4.6, 4.7, 4.8)


class UnsupportedModelError(ValueError):
    """A card or instance asks for a BSIM4 DC branch that xbarsolve does not implement."""


@dataclass(frozen=True)
class Bsim4NMOS(NMOSModel):
    """A BSIM4 NMOS transistor (see the module docstring).

    Build it with :meth:`from_card`.  ``card`` is the :class:`~.card.ModelCard`,
    ``instance`` the :class:`~.card.InstanceParameters` (W, L, NF, ...; SI units),
    ``temperature`` the device temperature (K; the card's TNOM is where its
    parameters hold), ``gmin`` the conductance SPICE adds across each junction (S).
    ``junction_is`` is unused (BSIM4 has its own junction model) and must stay 0.
    """

    junction_is: float = 0.0
    card: ModelCard = None
    instance: InstanceParameters = None
    size: SizeDependentParameters = field(default=None, compare=False, repr=False)

    evaluate = staticmethod(element.evaluate)
    current = staticmethod(element.current)
    step_limit = staticmethod(element.step_limit)
    parameter_partials = staticmethod(element.parameter_partials)
    terminal_currents = staticmethod(element.terminal_currents)
    param_names = (element.HEADER + tuple(f"source_diode_{k}" for k in range(N_DIODE))
                   + tuple(f"drain_diode_{k}" for k in range(N_DIODE))
                   + tuple(f"source_series_{k}" for k in range(N_SERIES))
                   + tuple(f"drain_series_{k}" for k in range(N_SERIES)) + tuple(f"q_{n}" for n in NAMES))

    @classmethod
    def from_card(cls, card, *, name: str | None = None, temperature: float = 300.15,
                  gmin: float = 1e-12, instance: InstanceParameters | None = None,
                  **instance_parameters) -> "Bsim4NMOS":
        """A transistor from a card: a path, the card text, or a :class:`~.card.ModelCard`.

        ``name`` picks one card where the text has several; ``temperature`` is the device
        temperature (K, default 300.15 K = 27 °C); instance parameters as keywords in SI
        units (``w=1e-6, l=45e-9, nf=2, nrs=1.0, ...``) or as ``instance``.
        """
        if not isinstance(card, ModelCard):
            card = read_model_card(card, name)
        if instance is None:
            instance = InstanceParameters.from_keywords(**instance_parameters)
        elif instance_parameters:
            raise TypeError("give the instance either as InstanceParameters or as keywords, not both")
        return cls(card=card, instance=instance, temperature=temperature, gmin=gmin)

    def __post_init__(self):
        self._check_common()
        if not isinstance(self.card, ModelCard):
            raise TypeError(f"card must be a ModelCard (use Bsim4NMOS.from_card), got {type(self.card).__name__}")
        if not isinstance(self.instance, InstanceParameters):
            raise TypeError(f"instance must be InstanceParameters, got {type(self.instance).__name__}")
        if self.junction_is != 0.0:
            raise ValueError("junction_is does not apply to Bsim4NMOS: the card's junction model is used")
        version = version_number(self.card.version)
        if version not in IMPLEMENTED_VERSIONS:
            raise UnsupportedModelError(
                f"card {self.card.name}: VERSION = {self.card.version} runs in ngspice's "
                f"{self.card.ngspice_code} code, whose DC equations xbarsolve does not reproduce "
                f"(implemented: {', '.join(f'{v:g}' for v in IMPLEMENTED_VERSIONS)})")
        for selector, allowed in IMPLEMENTED_SELECTORS.items():
            value = self._selector(selector)
            if value not in allowed:
                raise UnsupportedModelError(
                    f"card {self.card.name}: {selector.upper()} = {value:g} is not implemented in "
                    f"xbarsolve's BSIM4 DC model (implemented: "
                    f"{', '.join(f'{v:g}' for v in allowed)}); line {self.card.line_of(selector)}")
        object.__setattr__(self, "size", size_dependent(self.card, self.instance))
        check_device(self.card, self.size, self.temperature)

    def with_instance(self, **changes) -> "Bsim4NMOS":
        """The same card and temperature with instance parameters changed (``w=2e-6, nf=2``; SI
        units); the others keep their values."""
        parameters = {**self.instance.parameters, **{k.lower(): v for k, v in changes.items()}}
        return Bsim4NMOS(card=self.card, instance=InstanceParameters.from_keywords(**parameters),
                         temperature=self.temperature, gmin=self.gmin)

    def _selector(self, name: str) -> float:
        """A selector's value for this instance: the instance's where it may override the card's."""
        if name in ("rgatemod", "rbodymod", "geomod", "rgeomod"):
            return float(self.instance.get(name, self.card))
        return float(self.card.get(name))

    # ------------------------------------------------------------------ parameters
    @property
    def w(self) -> float:
        """Drawn width W (m), all fingers."""
        return self.instance.w

    @property
    def l(self) -> float:  # noqa: E743 - SPICE's name
        """Drawn length L (m)."""
        return self.instance.l

    @property
    def vth_estimate(self) -> float:
        """Zero-bias threshold voltage (V), used only to limit Newton steps."""
        return float(self.card.get("vth0") or 0.5)

    def core_parameters(self) -> np.ndarray:
        """The intrinsic device's constant vector (layout :mod:`.layout`)."""
        return intrinsic_constants(self.card, self.size, self.temperature)

    @cached_property
    def _parameter_template(self) -> np.ndarray:
        """The element parameter vector without gate and body voltages (computed once)."""
        p = np.zeros(element.N_PARAMS)
        h = element.H
        p[h.vth_estimate] = self.vth_estimate
        p[h.gmin] = self.gmin
        p[h.multiplier] = self.instance.m
        diodes = junction_diodes(self.size, self.temperature)
        p[element.SOURCE_DIODE:element.SOURCE_DIODE + N_DIODE] = diodes.source
        p[element.DRAIN_DIODE:element.DRAIN_DIODE + N_DIODE] = diodes.drain
        net = parasitic_network(self.size, self.temperature)
        p[h.rdsmod] = float(net.rdsmod)
        if net.rdsmod == 0:
            p[h.g_source] = 1.0 / net.source_resistance if net.source_resistance > 0.0 else 0.0
            p[h.g_drain] = 1.0 / net.drain_resistance if net.drain_resistance > 0.0 else 0.0
        else:
            p[element.SOURCE_SERIES:element.SOURCE_SERIES + N_SERIES] = net.source_series
            p[element.DRAIN_SERIES:element.DRAIN_SERIES + N_SERIES] = net.drain_series
        if net.rgatemod != 0:
            p[h.g_gate] = 1.0 / net.gate_resistance
        if net.body_conductances is not None:
            p[h.g_b_bp:h.g_b_db + 1] = net.body_conductances
            p[h.has_body_network] = 1.0
        p[element.Q_OFFSET:] = self.core_parameters()
        return p

    def element_parameters(self, *, v_gate: float, v_body: float = 0.0) -> np.ndarray:
        """Parameter vector of one transistor with gate at ``v_gate`` and body at ``v_body`` (V)."""
        p = self._parameter_template.copy()
        p[element.H.v_gate] = check_finite("v_gate", v_gate)
        p[element.H.v_body] = check_finite("v_body", v_body)
        return p

    # ------------------------------------------------------------------ SPICE
    def bsim4_model_card(self, name: str = "nbsim4") -> str:
        """The card as ngspice must read it to run exactly this device: every given parameter with
        its value written in full precision, LEVEL, VERSION as written, and TNOM always explicit
        (so that a netlist's ``.options tnom=`` cannot change it)."""
        if not name or not name.replace("_", "").isalnum():
            raise ValueError(f"model name must be alphanumeric, got {name!r}")
        items = [("level", str(self.card.level))]
        if self.card.version_text is not None:
            items.append(("version", self.card.version_text))
        values = dict(self.card.parameters)
        values.setdefault("tnom", float(self.card.get("tnom")))
        items += [(k, repr(float(v))) for k, v in values.items()]
        return format_model_card(f".model {name} nmos", items)

    def spice_instance_parameters(self) -> str:
        """The instance parameters of an ngspice ``M`` line for this device (``W=.. L=.. NF=..``)."""
        return " ".join(f"{k.upper()}={float(v)!r}" for k, v in self.instance.parameters.items())


__all__ = ["Bsim4NMOS", "UnsupportedModelError", "IMPLEMENTED_SELECTORS", "IMPLEMENTED_VERSIONS"]
