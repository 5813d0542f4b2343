"""The parameter checks by which ngspice refuses a BSIM4 device, applied when the device is built.

ngspice 39 checks every BSIM4 instance before its first analysis and stops with
"Fatal: ..." when a size-dependent (binned) parameter or a temperature-scaled one
lies outside the model's domain -- whatever the card's PARAMCHK says.  The same
card is refused here, when the :class:`~.model.Bsim4NMOS` is built, by
:func:`check_device`: a :class:`~.card.CardError` (a ValueError) naming the
parameter, its value, the instance size and the temperature.

The list below was measured black-box (each parameter set to 0 and to minus its
default on the PTM 45 nm HP card, with every ngspice BSIM4 code: 4.0/4.5 -> BSIM4v5,
4.6.5, 4.7, 4.8; binned values by L-terms that make the binned value cross the
limit).  The checks the card reader and the binning already make (TOXE, TOXP, TOXM,
TOXREF, EOT, NSD, PDITSL; NIGBACC, NIGBINV, NIGC, POXEDGE, PIGCD, PDITS; NF, NGCON;
Leff, Weff) are not repeated.

==================================  ====================================================
refused when                        ngspice's message
==================================  ====================================================
XJ, NDEP, NSUB, PCLM <= 0            "Xj = ... is not positive" (binned values)
NGATE < 0 or > 1e25 cm^-3            "Ngate is not positive" / "Ngate is too high"
DVT1, DVT1W, DSUB, DROUT, DELTA,     "... is negative" / "Delta ... is less than zero"
FPROUT, CLC < 0
LPE0 < −Leff, LPEB < −Leff           "Lpe0 = ... is less than -Leff"
W0 + Weff = 0, B1 + Weff = 0         "(W0 + Weff) = 0 causing divided-by-zero"
Φs <= 0                              "Phi = ... is not positive. Please check Phin and Ndep"
U0·(T/TNOM)^UTE·f(Leff) <= 0         "u0 at current temperature = ... is not positive"
VSAT(T) <= 0 (13.24)/(13.25)         "Vsat at current temperature = ... is not positive"
VTSS ... VTSSWGD < 0                 "Vtss = ... is negative"
EASUB, EPSRSUB, EPSRGATE < 0;        (4.6 and later; NI0SUB's message says "Easub")
NI0SUB <= 0
RBPS0 ... RBDBY0 <= 0                (ngspice's 4.8 code only, whatever RBODYMOD)
==================================  ====================================================

The derived values (Φs, U0 and VSAT at temperature) are checked where
:mod:`.setup` computes them.

Refused here although ngspice does not stop (its results are then not currents):
DVT1 = 0 or DSUB = 0 (θ(0) is infinite: ngspice reports a singular matrix), DVT1W = 0
with DVT0W ≠ 0, DROUT = 0 with PDIBLC1 ≠ 0 (ngspice returns a drain current of 4.7e8 A
for the HP card); and, as :class:`~.model.UnsupportedModelError`, GIDLMOD = 1 with
KGIDL ≠ 0 and FGIDL <= 0 (or the GISL pair), whose GIDL is unbounded at a junction bias
of −FGIDL >= 0; the stress effect (instance SA, SB > 0 with KU0, KVSAT, KVTH0, STK2 or
STETA0 ≠ 0) and the well-proximity effect (WPEMOD = 1, instance SC or SCA/SCB/SCC, with
KVTH0WE, K2WE or KU0WE ≠ 0), which are not modelled (ngspice's currents change with them:
KVTH0 = 1e-9 V·m at SA = SB = 0.5 µm moves Ids by 0.3-1.6 %, KVTH0WE = 0.01 V at SC = 1 µm by
0.9-4 %).
"""
from __future__ import annotations

from .card import CardError


def refuse(card, size, temperature: float, name: str, message: str, *, by_ngspice: bool = True) -> None:
    """Raise the :class:`~.card.CardError` that refuses a device: ``name``'s ``message``, with the
    instance size, the temperature (K) and the card; ``by_ngspice``: ngspice refuses it too."""
    raise CardError(
        f"{name.upper()}: {message} for the device W = {size.instance.w:g} m, L = {size.instance.l:g} m "
        f"(Leff = {size.leff:g} m, Weff = {size.weff:g} m) at {temperature - 273.15:g} °C with card "
        f"{card.name}" + ("; ngspice refuses such a device" if by_ngspice else ""), parameter=name,
        line=card.line_of(name), source=card.source)


def check_device(card, size, temperature: float) -> None:
    """Raise :class:`~.card.CardError` when ngspice would refuse (or cannot evaluate) the device
    of ``card`` at ``size`` (:class:`~.binning.SizeDependentParameters`) and ``temperature`` (K)."""
    def value(name):
        return size[name] if name in size else card.get(name)

    def fail(name, message, by_ngspice=True):
        refuse(card, size, temperature, name, message, by_ngspice=by_ngspice)

    code = card.ngspice_code
    for name in ("xj", "ndep", "nsub", "pclm"):
        v = value(name)
        if v is not None and not v > 0.0:
            fail(name, f"{v:g} is not positive")
    ngate = value("ngate")
    if ngate < 0.0:
        fail("ngate", f"{ngate:g} cm^-3 is negative")
    if ngate > 1e25:
        fail("ngate", f"{ngate:g} cm^-3 is above 1e25 cm^-3 (after ngspice's unit conversion)")
    for name in ("dvt1", "dvt1w", "dsub", "drout", "delta", "fprout", "clc"):
        v = value(name)
        if v < 0.0:
            fail(name, f"{v:g} is negative")
    for name in ("lpe0", "lpeb"):
        v = value(name)
        if v < -size.leff:
            fail(name, f"{v:g} m is below −Leff")
    for name in ("w0", "b1"):
        if value(name) + size.weff == 0.0:
            fail(name, f"{value(name):g} m equals −Weff (a division by zero)")
    for name in ("vtss", "vtsd", "vtssws", "vtsswd", "vtsswgs", "vtsswgd"):
        v = value(name)
        if v < 0.0:
            fail(name, f"{v:g} V is negative")
    if code != "BSIM4v5":
        for name in ("easub", "epsrsub", "epsrgate"):
            v = value(name)
            if v < 0.0:
                fail(name, f"{v:g} is negative")
        if not value("ni0sub") > 0.0:
            fail("ni0sub", f"{value('ni0sub'):g} cm^-3 is not positive")
    if code == "BSIM4":
        for name in ("rbps0", "rbpd0", "rbpbx0", "rbpby0", "rbsbx0", "rbsby0", "rbdbx0", "rbdby0"):
            v = value(name)
            if not v > 0.0:
                fail(name, f"{v:g} ohm is not positive (ngspice's BSIM4.8 code checks it whatever "
                           "RBODYMOD is)")
    # not refused by ngspice, but θ(0) is infinite: its results are no currents
    for name in ("dvt1", "dsub"):
        if value(name) == 0.0:
            fail(name, "0 makes the short-channel factor θ(0) infinite (ngspice: singular matrix)", False)
    if value("dvt1w") == 0.0 and value("dvt0w") != 0.0:
        fail("dvt1w", "0 with DVT0W ≠ 0 makes the narrow-width factor θ(0) infinite", False)
    if value("drout") == 0.0 and value("pdiblc1") != 0.0:
        fail("drout", "0 with PDIBLC1 ≠ 0 makes the output-resistance factor θ(0) infinite "
                      "(ngspice returns meaningless currents)", False)

    # GIDLMOD = 1's body factor exp(−K/(Vdb + F)) is unbounded at Vdb = −F: with F <= 0 that point
    # lies where the junction is reverse- or zero-biased, inside the operating range (ngspice
    # returns ~6e37 A there; FGIDL = 0 is the BSIM4.7 default)
    if card.get("gidlmod") == 1.0:
        for k_name, f_name, junction in (("kgidl", "fgidl", "Vdb"), ("kgisl", "fgisl", "Vsb")):
            if value(k_name) != 0.0 and value(f_name) <= 0.0:
                from .model import UnsupportedModelError
                raise UnsupportedModelError(
                    f"card {card.name}: GIDLMOD = 1 with {k_name.upper()} = {value(k_name):g} V and "
                    f"{f_name.upper()} = {value(f_name):g} V: the factor exp(−{k_name.upper()}/({junction} + "
                    f"{f_name.upper()})) is unbounded at {junction} = {0.0 - value(f_name):g} V, inside the "
                    f"operating range (ngspice returns meaningless currents there); give "
                    f"{f_name.upper()} > 0; line {card.line_of(f_name) or card.line_of(k_name)}")

    # layout-dependent effects xbarsolve does not model: refused when the instance switches them on
    # and the card gives them something to act on (measured: ngspice's currents change then only)
    inst = size.instance
    stress = ("ku0", "kvsat", "kvth0", "stk2", "steta0")
    if inst.get("sa") > 0.0 and inst.get("sb") > 0.0 and any(card.get(n) != 0.0 for n in stress):
        from .model import UnsupportedModelError
        given = ", ".join(f"{n.upper()} = {card.get(n):g}" for n in stress if card.get(n) != 0.0)
        raise UnsupportedModelError(
            f"card {card.name}: the instance's SA = {inst.get('sa'):g} m, SB = {inst.get('sb'):g} m switch "
            f"on the layout-dependent stress effect (chapter 14; {given}), which xbarsolve's BSIM4 DC "
            "model does not implement; omit SA/SB or the card's stress parameters")
    well = ("kvth0we", "k2we", "ku0we")
    wpe_on = inst.get("sc") > 0.0 or any(inst.given(n) for n in ("sca", "scb", "scc"))
    if card.get("wpemod") == 1.0 and wpe_on and any(value(n) != 0.0 for n in well):
        from .model import UnsupportedModelError
        given = ", ".join(f"{n.upper()} = {value(n):g}" for n in well if value(n) != 0.0)
        raise UnsupportedModelError(
            f"card {card.name}: WPEMOD = 1 with the instance's well distances (SC, SCA, SCB, SCC) and "
            f"{given} switch on the well-proximity effect (chapter 15), which xbarsolve's BSIM4 DC model "
            f"does not implement; line {card.line_of('wpemod')}")

    # the temperature-scaled and derived values (U0(T), VSAT(T), Φs) are checked where they are
    # computed, by the device's constant vector
    from .setup import intrinsic_constants
    intrinsic_constants(card, size, temperature)


__all__ = ["check_device", "refuse"]
