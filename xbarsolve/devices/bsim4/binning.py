"""The size-dependent part of BSIM4: effective dimensions and binned parameters at one instance size.

For a card (:class:`~.card.ModelCard`) and an instance
(:class:`~.card.InstanceParameters`), :func:`size_dependent` returns a
:class:`SizeDependentParameters` record:

Geometry (BSIM4.8.0 manual, chapter 1; all lengths in metres)
-------------------------------------------------------------
With ``Lnew = L + XL`` and ``Wnew = W / NF + XW`` (drawn length, drawn width
per finger, mask/etch offsets)::

    dL   = LINT + LL / Lnew^LLN + LW / Wnew^LWN + LWL / (Lnew^LLN Wnew^LWN)
    dW'  = WINT + WL / Lnew^WLN + WW / Wnew^WWN + WWL / (Lnew^WLN Wnew^WWN)
    Leff = Lnew - 2 dL                 Weff = Wnew - 2 dW'      (bias-independent)
    dLcv = DLC + LLC / Lnew^LLN + LWC / Wnew^LWN + LWLC / (Lnew^LLN Wnew^LWN)
    dWcv = DWC + WLC / Lnew^WLN + WWC / Wnew^WWN + WWLC / (Lnew^WLN Wnew^WWN)
    Leffcv = Lnew - 2 dLcv             Weffcv = Wnew - 2 dWcv
    Weffcj = Wnew - 2 (DWJ + WLC / Lnew^WLN + WWC / Wnew^WWN + WWLC / (Lnew^WLN Wnew^WWN))

The channel's bias-dependent width is ``Weff - 2 (DWG Vgsteff + DWB (sqrt(PHIs
- Vbseff) - sqrt(PHIs)))`` with the binned DWG, DWB of this record: that part
belongs to the channel model.  Per finger: the device's total width is
``NF`` times these widths.

Binning
-------
Every binnable parameter P takes its size-dependent value ::

    P = P0 + PL / Leff + PW / Weff + PP / (Leff Weff)

with Leff, Weff in micrometres when BINUNIT = 1 and in metres otherwise,
the bias-independent Leff and Weff above (XL, XW, NF and every dL/dW term
enter; DWG, DWB and WNFLAG do not).  P0, PL, PW, PP are the card's values
or defaults, with the catalog's rules (DSUB's P0 is DROUT's but its L/W/P
terms are its own; AGISL's L/W/P follow LAGIDL...; AIGS versus AIGSD).  A
parameter the model computes when the card does not give it (VTH0, VFB,
K1, K2, NDEP, GAMMA1, GAMMA2, VBX, CF) has the value None: ngspice then
computes it from other binned values and ignores its L/W/P terms (measured
for VTH0).

Units
-----
ngspice reads some values in other units when they are too large to be in the
card's (measured black-box, every BSIM4 code): NDEP > 1e20, NGATE > 1e24 and
NSD > 1e24 are taken as m^-3 (times 1e-6 to cm^-3) -- the card's value, before
its L/W/P terms are added (a binned value crossing the threshold is not
converted); U0 > 1 is taken as cm^2/(V s) (times 1e-4) -- the binned value.
The record holds the values in the catalog's units (cm^-3, m^2/(V s)).

Every statement above was checked against ngspice 39 black-box
(validation/bsim4_card/binning_reference.py): Vth shifts for L/W/P VTH0,
GIDL current ratios for Weffcj, gate capacitance ratios for Leffcv Weffcv.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from . import parameters as catalog
from .card import CardError, InstanceParameters, ModelCard

__all__ = ["SizeDependentParameters", "size_dependent", "BINNABLE"]

#: canonical names of every binnable model parameter
BINNABLE = tuple(p.name for p in catalog.MODEL_PARAMETERS.values() if p.binnable)

#: card values ngspice reads as m^-3 above a threshold: name -> (threshold, factor to cm^-3)
_CARD_UNITS = {"ndep": (1e20, 1e-6), "ngate": (1e24, 1e-6), "nsd": (1e24, 1e-6)}
#: binned values ngspice reads as cm^2/(V s) above a threshold: name -> (threshold, factor to SI)
_BINNED_UNITS = {"u0": (1.0, 1e-4)}

#: binned values the manual declares fatal when not positive (Appendix A notes)
_POSITIVE_BINNED = ("nigbacc", "nigbinv", "nigc", "poxedge", "pigcd", "nsd")
#: binned values the manual declares fatal when negative
_NON_NEGATIVE_BINNED = ("pdits",)


@dataclasses.dataclass(frozen=True)
class SizeDependentParameters(Mapping):
    """Effective dimensions and binned parameters of one instance (see the module docstring).

    Lengths in metres.  Mapping access (``sd["vth0"]``) and attribute
    access (``sd.vth0``) give the size-dependent value of a binnable
    parameter (None where the model computes it); ``len``/iteration run
    over :data:`BINNABLE`.

    Attributes
    ----------
    l_new, w_new : L + XL and W / NF + XW.
    dl, dw : dL and the bias-independent dW' of the I-V model.
    leff, weff : bias-independent effective length and width per finger.
    dlcv, dwcv, leffcv, weffcv : the C-V model's offsets and dimensions.
    weffcj : effective source/drain diffusion width (junctions, diffusion
        resistance, GIDL), per finger.
    nf, m : fingers and parallel multiplier of the instance.
    binunit : the card's BINUNIT; ``length_unit`` is 1e-6 (um) when it is 1, else 1.0 (m).
    inv_l, inv_w, inv_lw : the binning factors 1/Leff, 1/Weff, 1/(Leff Weff) in ``length_unit``.
    card, instance : what it was computed from.
    """
    card: ModelCard
    instance: InstanceParameters
    l_new: float
    w_new: float
    dl: float
    dw: float
    leff: float
    weff: float
    dlcv: float
    dwcv: float
    leffcv: float
    weffcv: float
    weffcj: float
    nf: float
    m: float
    binunit: int
    length_unit: float
    inv_l: float
    inv_w: float
    inv_lw: float
    values: MappingProxyType

    # ------------------------------------------------------------------ mapping
    def __getitem__(self, name: str):
        key = _canonical(name)
        return self.values[key]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __getattr__(self, name: str):
        if name.startswith("_") or name == "values":
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no attribute or binnable parameter "
                                 f"{name!r}") from None

    def __hash__(self) -> int:
        return hash((self.card, self.instance))

    def __eq__(self, other) -> bool:
        if not isinstance(other, SizeDependentParameters):
            return NotImplemented
        return self.card == other.card and self.instance == other.instance

    def __repr__(self) -> str:
        return (f"SizeDependentParameters(card={self.card.name!r}, leff={self.leff:.6g} m, "
                f"weff={self.weff:.6g} m, nf={self.nf:g}, {len(self.values)} binned parameters)")


def _canonical(name: str) -> str:
    key = str(name).lower()
    try:
        p = catalog.model_parameter(key)
    except KeyError:
        raise KeyError(f"{name!r} is not a BSIM4 model parameter") from None
    if not p.binnable:
        raise KeyError(f"{p.name.upper()} is not binnable: read it from the card (card.get)")
    return p.name


def _offset(c0: float, a: float, an: float, b: float, bn: float, ab: float, l_new: float, w_new: float) -> float:
    """c0 + a / Lnew^an + b / Wnew^bn + ab / (Lnew^an Wnew^bn): the form of every dL/dW of chapter 1."""
    la, wb = l_new ** an, w_new ** bn
    return c0 + a / la + b / wb + ab / (la * wb)


def size_dependent(card: ModelCard, instance: InstanceParameters | None = None,
                   **instance_keywords) -> SizeDependentParameters:
    """Effective dimensions and binned parameters of ``card`` at the size of ``instance``.

    Pass the instance as :class:`~.card.InstanceParameters` or as keywords
    (``size_dependent(card, w=1e-6, l=45e-9, nf=2)``, SI units).  Raises
    ValueError (:class:`~.card.CardError`) when W or L lies outside the
    card's LMIN...WMAX, when an effective dimension is not positive, or
    when a binned value is one the manual declares fatal (NIGC, NIGBACC,
    NIGBINV, POXEDGE, PIGCD, NSD not positive; PDITS negative).  TypeError for
    a card that is not a ModelCard.
    """
    if not isinstance(card, ModelCard):
        raise TypeError(f"card must be a ModelCard (read_model_card), got {type(card).__name__}")
    if instance is not None and instance_keywords:
        raise TypeError("give the instance either as InstanceParameters or as keywords, not both")
    if instance is None:
        instance = InstanceParameters.from_keywords(**instance_keywords)
    elif not isinstance(instance, InstanceParameters):
        raise TypeError(f"instance must be InstanceParameters, got {type(instance).__name__}")
    if card.device_type != "nmos":
        raise CardError(f"card {card.name} is a PMOS card: xbarsolve's BSIM4 models NMOS transistors",
                        source=card.source, line=card.line)
    instance.check_range(card)
    g = card.get
    nf = instance.nf
    l_new = instance.l + g("xl")
    w_new = instance.w / nf + g("xw")
    for name, value, what in (("L", l_new, "L + XL"), ("W", w_new, "W/NF + XW")):
        if not value > 0.0:
            raise CardError(f"{what} = {value:g} m is not positive (card {card.name}): no device",
                            parameter=name.lower(), source=card.source)
    dl = _offset(g("lint"), g("ll"), g("lln"), g("lw"), g("lwn"), g("lwl"), l_new, w_new)
    dw = _offset(g("wint"), g("wl"), g("wln"), g("ww"), g("wwn"), g("wwl"), l_new, w_new)
    dlcv = _offset(g("dlc"), g("llc"), g("lln"), g("lwc"), g("lwn"), g("lwlc"), l_new, w_new)
    dwcv = _offset(g("dwc"), g("wlc"), g("wln"), g("wwc"), g("wwn"), g("wwlc"), l_new, w_new)
    dwj = _offset(g("dwj"), g("wlc"), g("wln"), g("wwc"), g("wwn"), g("wwlc"), l_new, w_new)
    leff, weff = l_new - 2.0 * dl, w_new - 2.0 * dw
    leffcv, weffcv = l_new - 2.0 * dlcv, w_new - 2.0 * dwcv
    weffcj = w_new - 2.0 * dwj
    for name, value in (("Leff", leff), ("Weff", weff), ("LeffCV", leffcv), ("WeffCV", weffcv),
                        ("Weffcj", weffcj)):
        if not value > 0.0:
            raise CardError(f"{name} = {value:g} m is not positive for L = {instance.l:g} m, "
                            f"W = {instance.w:g} m, NF = {nf:g} with card {card.name}: the offsets "
                            "(LINT, WINT, DLC, DWC, DWJ, LL ... WWLC, XL, XW) exceed the drawn size",
                            parameter="l" if name.startswith("L") else "w", source=card.source)
    binunit = int(g("binunit"))
    unit = 1e-6 if binunit == 1 else 1.0
    inv_l, inv_w = unit / leff, unit / weff
    inv_lw = unit * unit / (leff * weff)
    values = {}
    for name in BINNABLE:
        p0 = g(name)
        if p0 is None:
            values[name] = None  # computed by the model from other binned values
            continue
        if name in _CARD_UNITS and p0 > _CARD_UNITS[name][0]:
            p0 *= _CARD_UNITS[name][1]
        values[name] = (p0 + g("l" + name) * inv_l + g("w" + name) * inv_w + g("p" + name) * inv_lw)
        if name in _BINNED_UNITS and values[name] > _BINNED_UNITS[name][0]:
            values[name] *= _BINNED_UNITS[name][1]
    for name in _POSITIVE_BINNED:
        if not values[name] > 0.0:
            raise CardError(f"binned {name.upper()} = {values[name]:g} at Leff = {leff:g} m, Weff = "
                            f"{weff:g} m must be positive (card {card.name})", parameter=name,
                            source=card.source)
    for name in _NON_NEGATIVE_BINNED:
        if values[name] < 0.0:
            raise CardError(f"binned {name.upper()} = {values[name]:g} at Leff = {leff:g} m, Weff = "
                            f"{weff:g} m must not be negative (card {card.name})", parameter=name,
                            source=card.source)
    return SizeDependentParameters(
        card=card, instance=instance, l_new=l_new, w_new=w_new, dl=dl, dw=dw, leff=leff, weff=weff,
        dlcv=dlcv, dwcv=dwcv, leffcv=leffcv, weffcv=weffcv, weffcj=weffcj, nf=nf, m=instance.m,
        binunit=binunit, length_unit=unit, inv_l=inv_l, inv_w=inv_w, inv_lw=inv_lw,
        values=MappingProxyType(values))
