"""The catalog of BSIM4.8 model and instance parameters.

Every parameter of the BSIM4.8.0 manual's Appendix A ("Complete Parameter
List"), and every parameter that ngspice 39's BSIM4 codes accept, is one
:class:`Parameter` record here: canonical lower-case name, aliases, unit as
written on a card, default value (or the rule that gives it), whether it is
binnable, and how it matters for DC currents (:data:`DC_CATEGORIES`).

Ground truth is ngspice 39: where the manual and ngspice disagree (a default,
a binnable flag, a name only one of them knows) the record follows ngspice
and keeps the manual's statement in ``manual_default`` / ``manual_binnable``
/ ``note`` -- :func:`disagreements` lists them all.  The facts about ngspice
were measured black-box (its ``devhelp`` listing, ``showmod`` values and
warnings for unknown names; validation/bsim4_card/), never read from its
source.

Defaults
--------
``Parameter.default`` is one of

* a float -- the value used when the card does not give the parameter;
* :class:`SameAs` -- the value of another parameter (given or defaulted),
  e.g. DLC defaults to LINT; ``binned=True`` when the L/W/P coefficients
  follow their counterparts as well (LAGISL defaults to LAGIDL);
* :class:`ByMobmod`, :class:`ByVersion` -- a value that depends on the
  card's MOBMOD or BSIM4 version (UA is 1e-15 m/V under MOBMOD = 2);
* :class:`SharedSourceDrain` -- the 4.6+ source/drain pairs AIGS/AIGD (and
  B.., C..) versus the older joint parameter AIGSD that overrides them;
* :class:`Computed` -- the model computes it from other parameters when not
  given (VTH0, K1, K2, VFB, NDEP, CGSO, ...): the rule is recorded as text,
  and :meth:`xbarsolve.devices.bsim4.card.ModelCard.get` returns None.

The binned variants L<name>, W<name>, P<name> of a binnable parameter
default to 0 and are recognised automatically (:func:`lookup`).

Units are SI as on a card, with BSIM4's exceptions kept: doping
concentrations in cm^-3, temperatures (TNOM, TEMPEOT) in degrees Celsius.
Defaults are the NMOS ones (this package models NMOS cards only).
"""
from __future__ import annotations

import dataclasses
import difflib
from types import MappingProxyType
from typing import Callable

__all__ = ["Parameter", "SameAs", "ByMobmod", "ByVersion", "SharedSourceDrain", "Computed",
           "DC_CATEGORIES", "DC_EFFECT", "MODEL_PARAMETERS", "INSTANCE_PARAMETERS", "NGSPICE_CODES",
           "lookup", "lookup_instance", "model_parameter", "instance_parameter", "binned_names",
           "suggest", "disagreements", "ngspice_code"]

# ----------------------------------------------------------------------------- categories
#: How a parameter matters for DC currents in xbarsolve's operating range.  The first group
#: changes DC currents; the second names the reason a parameter has no DC effect.
DC_CATEGORIES = MappingProxyType({
    # --- DC effect
    "selector": "a model switch that selects DC equations (or the BSIM4 version)",
    "channel": "the channel current: oxide, doping, threshold voltage, mobility, velocity "
               "saturation, output conductance, subthreshold swing, poly depletion",
    "geometry": "effective length and width, fingers and layout dimensions that DC currents use",
    "material": "the material model (MTRLMOD = 1): gate, dielectric and substrate materials",
    "tunnelling": "gate dielectric tunnelling currents Igc (Igcs, Igcd), Igs, Igd, Igb",
    "gidl": "gate-induced drain and source leakage (GIDL, GISL)",
    "impact_ionisation": "substrate current from impact ionisation",
    "junction": "source/drain junction diode currents (including trap-assisted tunnelling)",
    "parasitic_resistance": "source/drain (RDSMOD, RSH, RGEOMOD), gate (RGATEMOD) and body "
                            "(RBODYMOD) resistances through which DC currents flow",
    "temperature": "scaling with the simulation temperature away from TNOM",
    "stress": "layout-induced stress (length of diffusion, SA/SB)",
    "wpe": "well-proximity effect",
    # --- no DC effect, and why
    "capacitance": "capacitance and charge (C-V) model only",
    "charge": "charge partition between source and drain only",
    "noise": "noise models only",
    "nqs": "non-quasi-static (transient and AC) models only",
    "parameter_check": "parameter checks, warnings and safe-operating-area limits only",
    "range": "the card's range of validity (checked against W and L; no effect on currents)",
    "initial_condition": "the starting point of the operating-point iteration only",
})
#: Categories whose parameters change DC currents.
DC_EFFECT = frozenset(["selector", "channel", "geometry", "material", "tunnelling", "gidl",
                       "impact_ionisation", "junction", "parasitic_resistance", "temperature",
                       "stress", "wpe"])

#: ngspice 39's BSIM4 codes and the card versions each runs (measured: version strings are
#: matched by prefix; a card without VERSION runs the newest code, which reports 4.8.2).
NGSPICE_CODES = MappingProxyType({"4.0": "BSIM4v5", "4.1": "BSIM4v5", "4.2": "BSIM4v5",
                                  "4.3": "BSIM4v5", "4.4": "BSIM4v5", "4.5": "BSIM4v5",
                                  "4.6": "BSIM4v6", "4.7": "BSIM4v7", "4.8": "BSIM4"})
_CODE_SINCE = {"BSIM4v5": "4.0", "BSIM4v6": "4.6", "BSIM4v7": "4.7", "BSIM4": "4.8"}


def ngspice_code(version: str) -> str:
    """The ngspice 39 BSIM4 code that runs a card of normalised ``version`` ("4.5.0" -> "BSIM4v5")."""
    try:
        return NGSPICE_CODES[".".join(version.split(".")[:2])]
    except KeyError:
        raise ValueError(f"BSIM4 version {version!r} is not one ngspice 39 provides "
                         f"(4.0 ... 4.8)") from None


def _version_key(version: str) -> tuple:
    return tuple(int(p) for p in version.split("."))


# ----------------------------------------------------------------------------- default rules
@dataclasses.dataclass(frozen=True)
class SameAs:
    """Default: the value of parameter ``source`` (given or defaulted itself).

    ``binned``: whether the L/W/P coefficients default to the source's too
    (measured in ngspice: LAGISL follows LAGIDL, LDSUB does not follow LDROUT).
    """
    source: str
    binned: bool = False


@dataclasses.dataclass(frozen=True)
class ByMobmod:
    """Default that depends on the card's MOBMOD: ``values`` maps a MOBMOD value to the default."""
    values: tuple  # ((mobmod, value), ...)
    otherwise: float

    def value(self, mobmod: int) -> float:
        return dict(self.values).get(int(mobmod), self.otherwise)


@dataclasses.dataclass(frozen=True)
class ByVersion:
    """Default that depends on the card's BSIM4 version: ``values`` = ((from_version, value), ...)
    in increasing order; the last entry whose version is <= the card's applies."""
    values: tuple

    def value(self, version: str) -> float:
        key = _version_key(version)
        chosen = self.values[0][1]
        for since, value in self.values:
            if _version_key(since) <= key:
                chosen = value
        return chosen


@dataclasses.dataclass(frozen=True)
class SharedSourceDrain:
    """The 4.6+ source/drain pair (AIGS, AIGD) versus the older joint parameter AIGSD (ngspice 39).

    Measured rule: a given ``joint`` (AIGSD) overrides both members even when
    they are given; otherwise each member is its given value or ``value``.
    Binned coefficients: when neither member of the pair (``self`` and
    ``partner``) is given, L/W/P<member> are the joint's L/W/P coefficients;
    otherwise each member's own (0 unless given).
    """
    joint: str
    partner: str
    value: float


@dataclasses.dataclass(frozen=True)
class Computed:
    """Default computed by the model from other parameters when not given; ``rule`` says how.

    ``resolve`` (optional) computes it from a card (``given(name)``,
    ``get(name)``, ``version``) -- only for rules on the parameter level
    (TOXE/TOXP/TOXM); physics-level rules are left to the model, and the
    card then reports None.
    """
    rule: str
    resolve: Callable | None = dataclasses.field(default=None, compare=False)


# ----------------------------------------------------------------------------- records
@dataclasses.dataclass(frozen=True)
class Parameter:
    """One BSIM4 parameter.

    Attributes
    ----------
    name : canonical lower-case name (``vth0``).
    unit : unit as written on a card ("" when dimensionless).
    default : float, :class:`SameAs`, :class:`ByMobmod`, :class:`ByVersion`,
        :class:`SharedSourceDrain` or :class:`Computed` (see the module docstring).
    binnable : whether L/W/P<name> exist (as ngspice 39 accepts them).
    dc : category in :data:`DC_CATEGORIES`.
    description : what it is.
    aliases : other names accepted for it (``vtho``).
    allowed : the values a selector may take (None: any number the checks allow), newest version.
    allowed_since : for selectors whose values grew with the versions: ((version, values), ...)
        in increasing order; :meth:`allowed_for` picks the card's.
    since : first BSIM4 version whose ngspice 39 code knows the name ("4.0", "4.6", "4.7",
        "4.8"); ``None`` for names the manual lists but ngspice does not accept.
    manual_default, manual_binnable : the manual's statement where it differs from ngspice.
    note : anything else worth knowing (measured behaviour, conventions).
    """
    name: str
    unit: str
    default: object
    binnable: bool
    dc: str
    description: str
    aliases: tuple = ()
    allowed: tuple | None = None
    since: str | None = "4.0"
    manual_default: str | None = None
    manual_binnable: bool | None = None
    note: str = ""
    allowed_since: tuple = ()

    @property
    def affects_dc(self) -> bool:
        """Whether the parameter can change DC currents (its category is in :data:`DC_EFFECT`)."""
        return self.dc in DC_EFFECT

    @property
    def is_selector(self) -> bool:
        return self.allowed is not None

    def allowed_for(self, version: str) -> tuple | None:
        """The values this selector may take on a card of (normalised) BSIM4 ``version``."""
        chosen = self.allowed
        if self.allowed_since:
            key = _version_key(version)
            for since, values in self.allowed_since:
                if _version_key(since) <= key:
                    chosen = values
        return chosen

    def known_to(self, version: str) -> bool:
        """Whether ngspice 39 accepts the name on a card of (normalised) BSIM4 ``version``."""
        if self.since is None:
            return False
        return _version_key(_CODE_SINCE[ngspice_code(version)]) >= _version_key(self.since)


def _p(name, unit, default, binnable, dc, description, **kw) -> Parameter:
    return Parameter(name, unit, default, binnable, dc, description, **kw)


B, N = True, False  # binnable, not binnable
_SEL01 = (0, 1)


# ----------------------------------------------------------------------------- oxide rules
# Parameter-level default rules that a card can resolve itself (measured in ngspice 39);
# each takes a card (``given(name)``, ``get(name)``, ``version``).
def _resolve_toxe(card):
    if card.given("toxp"):
        return card.get("toxp") + card.get("dtox")
    return 3.0e-9


def _resolve_toxp(card):
    if card.given("dtox"):
        return card.get("toxe") - card.get("dtox")
    return card.get("toxe")


def _resolve_toxm(card):
    if _version_key(card.version) >= (4, 7) or card.given("toxe"):
        return card.get("toxe")
    return 3.0e-9


def _resolve_k1(card):
    return 0.53 if card.given("k2") else None


def _resolve_k2(card):
    return -0.0186 if card.given("k1") else None


def _resolve_ndep(card):
    return None if card.given("gamma1") else 1.7e17


def _resolve_vfb(card):
    return None if card.given("vth0") else -1.0


# ============================================================================= model parameters
# Order: the manual's Appendix A sections, ngspice-only names at the end of their group.
_MODEL = [
    # ---------------------------------------------------------------- A.1 selectors
    _p("level", "", None, N, "selector", "SPICE model level: 14 or 54 select BSIM4",
       allowed=(14, 54), manual_default="14",
       note="read by the SPICE front end, not a BSIM4 parameter in ngspice; ngspice's default "
            "MOSFET level is 1, so a BSIM4 card must give it"),
    _p("version", "", None, N, "selector", "BSIM4 version the card was extracted with (text, e.g. 4.5.0)",
       manual_default="4.80",
       note="ngspice matches it by prefix: 4.0-4.5 run BSIM4v5, 4.6.x BSIM4v6, 4.7.x BSIM4v7, "
            "4.8.x (and no VERSION) BSIM4, which reports 4.8.2"),
    _p("binunit", "", 1.0, N, "selector", "binning unit: 1 = Leff, Weff in micrometres, otherwise metres",
       allowed=(0, 1, 2)),
    _p("paramchk", "", 1.0, N, "parameter_check", "switch for parameter value checks", allowed=_SEL01),
    _p("mobmod", "", 0.0, N, "selector", "mobility model selector", allowed=(0, 1, 2, 3, 4, 5, 6),
       allowed_since=(("4.0", (0, 1, 2)), ("4.6", (0, 1, 2, 3)), ("4.8", (0, 1, 2, 3, 4, 5, 6))),
       note="4, 5, 6 are BSIM4.8's modified versions of 0, 1, 2; 3 is the Coulomb-scattering model. "
            "Measured: ngspice resets values its code lacks to 0 (with a warning)"),
    _p("mtrlmod", "", 0.0, N, "selector", "new material model selector (1: non-SiO2 dielectric, "
       "metal gate, non-Si channel)", allowed=_SEL01, since="4.6"),
    _p("mtrlcompatmod", "", 0.0, N, "selector", "backward compatibility selector of the material model",
       allowed=_SEL01, since="4.7", note="ngspice only; not in the manual's appendix"),
    _p("rdsmod", "", 0.0, N, "selector", "bias-dependent source/drain resistance: 0 internal (in the "
       "I-V equation), 1 external resistors", allowed=_SEL01),
    _p("igcmod", "", 0.0, N, "selector", "gate-to-channel tunnelling current (Igc, Igs, Igd) selector",
       allowed=(0, 1, 2)),
    _p("igbmod", "", 0.0, N, "selector", "gate-to-substrate tunnelling current (Igb) selector",
       allowed=_SEL01),
    _p("cvchargemod", "", 0.0, N, "capacitance", "threshold voltage model of the C-V charge",
       allowed=_SEL01, since="4.6"),
    _p("capmod", "", 2.0, N, "capacitance", "capacitance model selector", allowed=(0, 1, 2)),
    _p("rgatemod", "", 0.0, N, "selector", "gate resistance model: 0 none, 1 constant, 2 variable "
       "(intrinsic input resistance), 3 two gate nodes", allowed=(0, 1, 2, 3),
       note="also an instance parameter"),
    _p("rbodymod", "", 0.0, N, "selector", "substrate resistance network: 0 off, 1 five resistors, "
       "2 scalable five resistors", allowed=(0, 1, 2), note="also an instance parameter"),
    _p("trnqsmod", "", 0.0, N, "nqs", "transient NQS model selector", allowed=_SEL01,
       note="also an instance parameter"),
    _p("acnqsmod", "", 0.0, N, "nqs", "AC small-signal NQS model selector", allowed=_SEL01,
       note="also an instance parameter"),
    _p("fnoimod", "", 1.0, N, "noise", "flicker noise model selector", allowed=_SEL01),
    _p("tnoimod", "", 0.0, N, "noise", "thermal noise model selector", allowed=(0, 1, 2, 3),
       allowed_since=(("4.0", (0, 1)), ("4.7", (0, 1, 2)), ("4.8", (0, 1, 2, 3))),
       note="measured: ngspice 39 resets TNOIMOD = 3 (in the 4.8 manual) to 0 even in its 4.8 code"),
    _p("diomod", "", 1.0, N, "selector", "source/drain junction diode I-V model: 0 resistance-free, "
       "1 breakdown-free, 2 resistance and breakdown", allowed=(0, 1, 2)),
    _p("tempmod", "", 0.0, N, "selector", "temperature model selector", allowed=(0, 1, 2, 3),
       allowed_since=(("4.0", (0, 1, 2)), ("4.6", (0, 1, 2, 3)))),
    _p("permod", "", 1.0, N, "selector", "whether PS/PD (when given) include the gate-edge perimeter",
       allowed=_SEL01),
    _p("geomod", "", 0.0, N, "selector", "how the end source/drain diffusions are connected "
       "(isolated, shared, merged; Table 12.1)", allowed=tuple(range(11)),
       note="also an instance parameter"),
    _p("rgeomod", "", 0.0, N, "selector", "source/drain diffusion resistance and contact model: on the "
       "card only 0 (none) or 1; the instance parameter takes Table 12.2's 0 ... 8", allowed=(0, 1),
       note="the manual lists it as an instance parameter only; ngspice accepts it on the card as 0 or "
            "1 and resets other card values to 1 (measured), which instances then inherit"),
    _p("wpemod", "", 0.0, N, "selector", "well-proximity effect model switch", allowed=_SEL01),
    _p("gidlmod", "", 0.0, N, "selector", "GIDL/GISL current model selector", allowed=_SEL01,
       since="4.7"),

    # ---------------------------------------------------------------- A.2 process
    _p("epsrox", "", 3.9, N, "channel", "gate dielectric constant relative to vacuum"),
    _p("toxe", "m", Computed("TOXP + DTOX when TOXP is given, else 3.0e-9 m", _resolve_toxe), N,
       "channel", "electrical gate equivalent oxide thickness", manual_default="3.0e-9m"),
    _p("eot", "m", 1.5e-9, N, "material", "equivalent SiO2 thickness (MTRLMOD = 1)", since="4.6"),
    _p("toxp", "m", Computed("TOXE - DTOX when DTOX is given, else TOXE", _resolve_toxp), N,
       "channel", "physical gate equivalent oxide thickness", manual_default="TOXE",
       note="under MTRLMOD = 1 the model computes it from EOT (manual eq. 1.1)"),
    _p("toxm", "m", Computed("TOXE (ngspice's 4.0-4.6 codes: TOXE only when given, else 3.0e-9 m)",
                             _resolve_toxm), N,
       "channel", "oxide thickness at which the parameters were extracted", manual_default="TOXE"),
    _p("dtox", "m", 0.0, N, "channel", "TOXE - TOXP"),
    _p("xj", "m", 1.5e-7, B, "channel", "source/drain junction depth"),
    _p("gamma1", "V^0.5", Computed("sqrt(2 q eps_si NDEP) / Coxe (Note-1)"), B, "channel",
       "body-effect coefficient near the surface", manual_binnable=None),
    _p("gamma2", "V^0.5", Computed("sqrt(2 q eps_si NSUB) / Coxe (Note-1)"), B, "channel",
       "body-effect coefficient in the bulk"),
    _p("ndep", "cm^-3", Computed("GAMMA1^2 Coxe^2 / (2 q eps_si) when GAMMA1 is given (Note-2), "
                                 "else 1.7e17 cm^-3", _resolve_ndep), B, "channel",
       "channel doping concentration at the depletion edge for zero body bias",
       manual_default="1.7e17cm-3",
       note="measured: ngspice reads card values > 1e20 as m^-3 (NDEP = 1.7e23 runs as 1.7e17); "
            "binning.py converts"),
    _p("nsub", "cm^-3", 6.0e16, B, "channel", "substrate doping concentration",
       note="measured: not converted from m^-3 (NSUB = 6e22 does not run as 6e16)"),
    _p("ngate", "cm^-3", 0.0, B, "channel", "poly-Si gate doping concentration (0: no poly depletion)",
       note="measured: ngspice reads card values > 1e24 as m^-3 (NGATE = 1.1e24 runs as 1.1e18, "
            "1e24 as given); binning.py converts"),
    _p("nsd", "cm^-3", 1.0e20, B, "channel", "source/drain doping concentration",
       note="measured: ngspice reads card values > 1e24 as m^-3 (NSD = 1.1e24 runs as 1.1e18); "
            "binning.py converts"),
    _p("vbx", "V", Computed("PHIs - q NDEP XT^2 / (2 eps_si) (Note-3)"), B, "channel",
       "body bias at which the depletion width equals XT", manual_binnable=False),
    _p("xt", "m", 1.55e-7, B, "channel", "doping depth"),
    _p("rsh", "ohm/sq", 0.0, N, "parasitic_resistance", "source/drain sheet resistance"),
    _p("rshg", "ohm/sq", 0.1, N, "parasitic_resistance", "gate electrode sheet resistance"),

    # ---------------------------------------------------------------- A.3 basic
    _p("vth0", "V", Computed("VFB + PHIs + K1 sqrt(PHIs) with VFB = -1 V (Note-4)"), B, "channel",
       "long-channel threshold voltage at Vbs = 0", aliases=("vtho",), manual_default="0.7V (NMOS)",
       note="measured: a card without VTH0 is not the card with VTH0 = 0.7 V"),
    _p("vfb", "V", Computed("VTH0 - PHIs - K1 sqrt(PHIs) when VTH0 is given, else -1.0 V (Note-4)",
                            _resolve_vfb),
       B, "channel", "flat-band voltage", manual_default="-1.0V",
       note="ngspice's BSIM4v5 showmod prints 0 for a bare card, but runs it as VFB = -1 (measured)"),
    _p("vddeot", "V", 1.5, N, "material", "gate voltage at which EOT is measured", since="4.6"),
    _p("leffeot", "m", 1.0e-6, N, "material", "effective length at which EOT is measured", since="4.6",
       note="ngspice's showmod prints 1 (not 1e-6) for the default"),
    _p("weffeot", "m", 10.0e-6, N, "material", "effective width at which EOT is measured", since="4.6",
       note="ngspice's showmod prints 10 (not 1e-5) for the default"),
    _p("tempeot", "degC", 27.0, N, "material", "temperature at which EOT is measured", since="4.6",
       note="ngspice stores it in kelvin (showmod prints 300.15)"),
    _p("phin", "V", 0.0, B, "channel", "non-uniform vertical doping effect on the surface potential"),
    _p("phig", "eV", 4.05, N, "material", "gate work function (MTRLMOD = 1)", since="4.6",
       note="ngspice only; used by the manual's material model equations"),
    _p("easub", "eV", 4.05, N, "material", "electron affinity of the substrate", since="4.6"),
    _p("epsrsub", "", 11.7, N, "material", "substrate dielectric constant relative to vacuum",
       since="4.6"),
    _p("epsrgate", "", 11.7, N, "material", "gate dielectric constant relative to vacuum "
       "(0: metal gate, no depletion)", since="4.6",
       note="printed as a second EPSRSUB row in the manual's A.3"),
    _p("ni0sub", "cm^-3", 1.45e10, N, "material", "intrinsic carrier concentration of the substrate "
       "at 300.15 K", since="4.6", manual_default="1.45e16 m^-3 (printed 'm3')",
       note="ngspice's default 1.45e10 is the same concentration in cm^-3"),
    _p("bg0sub", "eV", 1.16, N, "material", "band gap of the substrate at 0 K", since="4.6"),
    _p("tbgasub", "eV/K", 7.02e-4, N, "material", "first band-gap temperature parameter",
       since="4.6"),
    _p("tbgbsub", "K", 1108.0, N, "material", "second band-gap temperature parameter", since="4.6"),
    _p("ados", "", 1.0, N, "material", "density-of-states parameter of the charge centroid",
       since="4.6"),
    _p("bdos", "", 1.0, N, "material", "density-of-states parameter of the charge centroid",
       since="4.6"),
    _p("k1", "V^0.5", Computed("from GAMMA1, GAMMA2, VBM, VBX when neither K1 nor K2 is given "
                               "(Note-5); 0.53 when only K2 is given", _resolve_k1), B, "channel",
       "first-order body-bias coefficient", manual_default="0.5 V^1/2",
       note="measured: a card without K1 is not the card with K1 = 0.5; with K2 alone K1 = 0.53"),
    _p("k2", "", Computed("from GAMMA1, GAMMA2, VBM, VBX when neither K1 nor K2 is given (Note-5); "
                          "-0.0186 when only K1 is given", _resolve_k2), B, "channel",
       "second-order body-bias coefficient", manual_default="0.0",
       note="measured: with K1 alone K2 = -0.0186 (not 0)"),
    _p("k3", "", 80.0, B, "channel", "narrow-width coefficient"),
    _p("k3b", "1/V", 0.0, B, "channel", "body-bias coefficient of K3"),
    _p("w0", "m", 2.5e-6, B, "channel", "narrow-width parameter"),
    _p("lpe0", "m", 1.74e-7, B, "channel", "lateral non-uniform doping parameter at Vbs = 0"),
    _p("lpeb", "m", 0.0, B, "channel", "lateral non-uniform doping effect on K1"),
    _p("vbm", "V", -3.0, B, "channel", "maximum applied body bias in the VTH0 calculation"),
    _p("dvt0", "", 2.2, B, "channel", "first coefficient of the short-channel effect on Vth"),
    _p("dvt1", "", 0.53, B, "channel", "second coefficient of the short-channel effect on Vth"),
    _p("dvt2", "1/V", -0.032, B, "channel", "body-bias coefficient of the short-channel effect on Vth"),
    _p("dvtp0", "m", 0.0, B, "channel", "drain-induced Vth shift of long-channel pocket devices "
       "(off when the binned value <= 0)"),
    _p("dvtp1", "1/V", 0.0, B, "channel", "drain-induced Vth shift of long-channel pocket devices"),
    _p("dvtp2", "V*m^DVTP3", 0.0, B, "channel", "drain-induced Vth shift of long-channel pocket devices",
       since="4.7"),
    _p("dvtp3", "", 0.0, B, "channel", "drain-induced Vth shift of long-channel pocket devices",
       since="4.7"),
    _p("dvtp4", "1/V", 0.0, B, "channel", "drain-induced Vth shift of long-channel pocket devices",
       since="4.7"),
    _p("dvtp5", "V", 0.0, B, "channel", "drain-induced Vth shift of long-channel pocket devices",
       since="4.7"),
    _p("dvt0w", "", 0.0, B, "channel", "first coefficient of the narrow-width effect on Vth"),
    _p("dvt1w", "1/m", 5.3e6, B, "channel", "second coefficient of the narrow-width effect on Vth"),
    _p("dvt2w", "1/V", -0.032, B, "channel", "body-bias coefficient of the narrow-width effect on Vth"),
    _p("u0", "m^2/(V*s)", 0.067, B, "channel", "low-field mobility at TNOM",
       note="measured: ngspice reads binned values > 1 as cm^2/(V s) (U0 = 670 runs as 0.067; "
            "U0 = 0.9 with LU0 binning to 1.1 runs as 1.1e-4); binning.py converts"),
    _p("ua", "m/V", ByMobmod(((2, 1.0e-15),), 1.0e-9), B, "channel",
       "first-order mobility degradation by the vertical field"),
    _p("ub", "(m/V)^2", 1.0e-19, B, "channel", "second-order mobility degradation by the vertical field"),
    _p("uc", "m/V^2", ByMobmod(((1, -0.0465), (5, -0.0465)), -0.0465e-9), B, "channel",
       "mobility degradation by the body bias (unit 1/V under MOBMOD = 1)",
       note="ngspice (measured): -0.0465 under MOBMOD = 1 and 5, -0.0465e-9 otherwise"),
    _p("ud", "1/m^2", ByVersion((("4.0", 1.0e14), ("4.6", 0.0))), B, "channel",
       "Coulomb scattering coefficient of the mobility", manual_default="0.0m-2",
       note="ngspice's BSIM4v5 code (cards 4.0-4.5) defaults to 1e14"),
    _p("ucs", "", 1.67, B, "channel", "Coulomb scattering exponent", since="4.6"),
    _p("up", "1/m^2", 0.0, B, "channel", "channel-length coefficient of the mobility"),
    _p("lp", "m", 1.0e-8, B, "channel", "exponential channel-length coefficient of the mobility"),
    _p("eu", "", 1.67, B, "channel", "exponent of the mobility degradation (MOBMOD = 2)",
       manual_binnable=False, note="the manual's binnable column is empty; ngspice bins it"),
    _p("vsat", "m/s", 8.0e4, B, "channel", "saturation velocity at TNOM"),
    _p("a0", "", 1.0, B, "channel", "channel-length dependence of the bulk charge effect"),
    _p("ags", "1/V", 0.0, B, "channel", "Vgs dependence of the bulk charge effect"),
    _p("b0", "m", 0.0, B, "channel", "width coefficient of the bulk charge effect"),
    _p("b1", "m", 0.0, B, "channel", "width offset of the bulk charge effect"),
    _p("keta", "1/V", -0.047, B, "channel", "body-bias coefficient of the bulk charge effect"),
    _p("a1", "1/V", 0.0, B, "channel", "first non-saturation effect parameter"),
    _p("a2", "", 1.0, B, "channel", "second non-saturation effect factor"),
    _p("wint", "m", 0.0, N, "geometry", "channel-width offset"),
    _p("lint", "m", 0.0, N, "geometry", "channel-length offset"),
    _p("dwg", "m/V", 0.0, B, "geometry", "gate-bias dependence of Weff (channel current only)"),
    _p("dwb", "m/V^0.5", 0.0, B, "geometry", "body-bias dependence of Weff (channel current only)"),
    _p("voff", "V", -0.08, B, "channel", "subthreshold offset voltage for large W and L"),
    _p("voffl", "V*m", 0.0, N, "channel", "channel-length dependence of VOFF"),
    _p("minv", "", 0.0, B, "channel", "Vgsteff fitting parameter for moderate inversion"),
    _p("nfactor", "", 1.0, B, "channel", "subthreshold swing factor"),
    _p("eta0", "", 0.08, B, "channel", "DIBL coefficient in the subthreshold region"),
    _p("etab", "1/V", -0.07, B, "channel", "body-bias coefficient of the subthreshold DIBL"),
    _p("dsub", "", SameAs("drout"), B, "channel", "DIBL coefficient exponent in the subthreshold region",
       note="the L/W/P coefficients do not follow DROUT's (measured)"),
    _p("cit", "F/m^2", 0.0, B, "channel", "interface trap capacitance (subthreshold swing)"),
    _p("cdsc", "F/m^2", 2.4e-4, B, "channel", "source/drain-to-channel coupling capacitance "
       "(subthreshold swing)"),
    _p("cdscb", "F/(V*m^2)", 0.0, B, "channel", "body-bias sensitivity of CDSC"),
    _p("cdscd", "F/(V*m^2)", 0.0, B, "channel", "drain-bias sensitivity of CDSC"),
    _p("pclm", "", 1.3, B, "channel", "channel-length modulation parameter"),
    _p("pdiblc1", "", 0.39, B, "channel", "first DIBL parameter of the output resistance"),
    _p("pdiblc2", "", 0.0086, B, "channel", "second DIBL parameter of the output resistance"),
    _p("pdiblcb", "1/V", 0.0, B, "channel", "body-bias coefficient of the DIBL effect on Rout"),
    _p("drout", "", 0.56, B, "channel", "channel-length dependence of the DIBL effect on Rout"),
    _p("pscbe1", "V/m", 4.24e8, B, "channel", "first substrate-current-induced body-effect parameter"),
    _p("pscbe2", "m/V", 1.0e-5, B, "channel", "second substrate-current-induced body-effect parameter"),
    _p("pvag", "", 0.0, B, "channel", "gate-bias dependence of the Early voltage"),
    _p("delta", "V", 0.01, B, "channel", "smoothing parameter of Vdseff"),
    _p("fprout", "V/m^0.5", 0.0, B, "channel", "pocket-implant degradation of Rout (off unless > 0)"),
    _p("pdits", "1/V", 0.0, B, "channel", "drain-induced Vth shift on Rout (off when 0)"),
    _p("pditsl", "1/m", 0.0, N, "channel", "channel-length dependence of PDITS"),
    _p("pditsd", "1/V", 0.0, B, "channel", "Vds dependence of PDITS"),
    _p("lambda", "", 0.0, B, "channel", "velocity overshoot coefficient (off when <= 0)"),
    _p("vtl", "m/s", 2.0e5, B, "channel", "thermal velocity (source-end velocity limit; off when <= 0)",
       manual_default="2.05e5[m/s]"),
    _p("lc", "m", 5.0e-9, N, "channel", "velocity back-scattering length",
       manual_default="0.0[m] (note: '5e9[m] at room temperature')"),
    _p("xn", "", 3.0, B, "channel", "velocity back-scattering coefficient"),

    # ---------------------------------------------------------------- A.4 resistance
    _p("rdsw", "ohm*um^WR", 200.0, B, "parasitic_resistance",
       "zero-bias LDD resistance per unit width (RDSMOD = 0)"),
    _p("rdswmin", "ohm*um^WR", 0.0, N, "parasitic_resistance",
       "LDD resistance per unit width at high Vgs and zero Vbs (RDSMOD = 0)"),
    _p("rdw", "ohm*um^WR", 100.0, B, "parasitic_resistance",
       "zero-bias drain LDD resistance per unit width (RDSMOD = 1)"),
    _p("rdwmin", "ohm*um^WR", 0.0, N, "parasitic_resistance",
       "drain LDD resistance per unit width at high Vgs and zero Vbs (RDSMOD = 1)"),
    _p("rsw", "ohm*um^WR", 100.0, B, "parasitic_resistance",
       "zero-bias source LDD resistance per unit width (RDSMOD = 1)"),
    _p("rswmin", "ohm*um^WR", 0.0, N, "parasitic_resistance",
       "source LDD resistance per unit width at high Vgs and zero Vbs (RDSMOD = 1)"),
    _p("prwg", "1/V", 1.0, B, "parasitic_resistance", "gate-bias dependence of the LDD resistance"),
    _p("prwb", "V^-0.5", 0.0, B, "parasitic_resistance", "body-bias dependence of the LDD resistance"),
    _p("wr", "", 1.0, B, "parasitic_resistance", "channel-width exponent of the LDD resistance"),

    # ---------------------------------------------------------------- A.5 impact ionisation
    _p("alpha0", "m/V", 0.0, B, "impact_ionisation", "first impact-ionisation current parameter"),
    _p("alpha1", "1/V", 0.0, B, "impact_ionisation", "channel-length scaling of impact ionisation"),
    _p("beta0", "V", 0.0, B, "impact_ionisation", "first Vds-dependent impact-ionisation parameter",
       note="the manual's unit column reads 1/V; BETA0 divides a voltage in the exponent"),

    # ---------------------------------------------------------------- A.6 GIDL
    _p("agidl", "1/ohm", 0.0, B, "gidl", "pre-exponential coefficient of GIDL (off when 0)"),
    _p("bgidl", "V/m", 2.3e9, B, "gidl", "exponential coefficient of GIDL (off when 0)"),
    _p("cgidl", "V^3", 0.5, B, "gidl", "body-bias effect on GIDL"),
    _p("egidl", "V", 0.8, B, "gidl", "band-bending fitting parameter of GIDL"),
    _p("rgidl", "", 1.0, B, "gidl", "gate-bias dependence of GIDL (GIDLMOD = 1)", since="4.7"),
    _p("kgidl", "V", 0.0, B, "gidl", "body-bias dependence of GIDL (GIDLMOD = 1)", since="4.7"),
    _p("fgidl", "V", ByVersion((("4.7", 0.0), ("4.8", 1.0))), B, "gidl",
       "body-bias dependence of GIDL (GIDLMOD = 1)", since="4.7", manual_default="1V",
       note="ngspice's BSIM4v7 code (cards 4.7) defaults to 0"),
    _p("agisl", "1/ohm", SameAs("agidl", binned=True), B, "gidl", "pre-exponential coefficient of GISL",
       since="4.6"),
    _p("bgisl", "V/m", SameAs("bgidl", binned=True), B, "gidl", "exponential coefficient of GISL",
       since="4.6"),
    _p("cgisl", "V^3", SameAs("cgidl", binned=True), B, "gidl", "body-bias effect on GISL", since="4.6"),
    _p("egisl", "V", SameAs("egidl", binned=True), B, "gidl", "band-bending fitting parameter of GISL",
       since="4.6"),
    _p("rgisl", "", SameAs("rgidl", binned=True), B, "gidl", "gate-bias dependence of GISL", since="4.7"),
    _p("kgisl", "V", SameAs("kgidl", binned=True), B, "gidl", "body-bias dependence of GISL", since="4.7"),
    _p("fgisl", "V", SameAs("fgidl", binned=True), B, "gidl", "body-bias dependence of GISL", since="4.7"),
    _p("gidlclamp", "A", -1.0e-5, N, "gidl", "clamp of the GIDL/GISL current", since="4.8",
       note="ngspice only (its 4.8 code); not in the manual.  Measured: no effect on DC currents "
            "(GIDL up to 3 mA, GIDLMOD 0 and 1, GIDLCLAMP from -1e-6 to -1e-3 A)"),

    # ---------------------------------------------------------------- A.7 tunnelling
    _p("aigbacc", "(F*s^2/g)^0.5/m", 1.36e-2, B, "tunnelling", "Igb parameter in accumulation",
       manual_default="9.49e-4"),
    _p("bigbacc", "(F*s^2/g)^0.5/(m*V)", 1.71e-3, B, "tunnelling", "Igb parameter in accumulation"),
    _p("cigbacc", "1/V", 0.075, B, "tunnelling", "Igb parameter in accumulation"),
    _p("nigbacc", "", 1.0, B, "tunnelling", "Igb parameter in accumulation (binned value > 0)"),
    _p("aigbinv", "(F*s^2/g)^0.5/m", 1.11e-2, B, "tunnelling", "Igb parameter in inversion"),
    _p("bigbinv", "(F*s^2/g)^0.5/(m*V)", 9.49e-4, B, "tunnelling", "Igb parameter in inversion"),
    _p("cigbinv", "1/V", 0.006, B, "tunnelling", "Igb parameter in inversion"),
    _p("eigbinv", "V", 1.1, B, "tunnelling", "Igb parameter in inversion"),
    _p("nigbinv", "", 3.0, B, "tunnelling", "Igb parameter in inversion (binned value > 0)"),
    _p("aigc", "(F*s^2/g)^0.5/m", 1.36e-2, B, "tunnelling", "Igcs and Igcd parameter"),
    _p("bigc", "(F*s^2/g)^0.5/(m*V)", 1.71e-3, B, "tunnelling", "Igcs and Igcd parameter"),
    _p("cigc", "1/V", 0.075, B, "tunnelling", "Igcs and Igcd parameter"),
    _p("aigsd", "(F*s^2/g)^0.5/m", 1.36e-2, B, "tunnelling", "joint Igs and Igd parameter (BSIM4 < 4.6; "
       "overrides AIGS and AIGD when given)", note="ngspice only; not in the 4.8 manual's appendix"),
    _p("bigsd", "(F*s^2/g)^0.5/(m*V)", 1.71e-3, B, "tunnelling", "joint Igs and Igd parameter "
       "(overrides BIGS and BIGD when given)", note="ngspice only; not in the 4.8 manual's appendix"),
    _p("cigsd", "1/V", 0.075, B, "tunnelling", "joint Igs and Igd parameter (overrides CIGS and CIGD "
       "when given)", note="ngspice only; not in the 4.8 manual's appendix"),
    _p("aigs", "(F*s^2/g)^0.5/m", SharedSourceDrain("aigsd", "aigd", 1.36e-2), B, "tunnelling",
       "Igs parameter", since="4.6"),
    _p("bigs", "(F*s^2/g)^0.5/(m*V)", SharedSourceDrain("bigsd", "bigd", 1.71e-3), B, "tunnelling",
       "Igs parameter", since="4.6"),
    _p("cigs", "1/V", SharedSourceDrain("cigsd", "cigd", 0.075), B, "tunnelling", "Igs parameter",
       since="4.6"),
    _p("aigd", "(F*s^2/g)^0.5/m", SharedSourceDrain("aigsd", "aigs", 1.36e-2), B, "tunnelling",
       "Igd parameter", since="4.6"),
    _p("bigd", "(F*s^2/g)^0.5/(m*V)", SharedSourceDrain("bigsd", "bigs", 1.71e-3), B, "tunnelling",
       "Igd parameter", since="4.6"),
    _p("cigd", "1/V", SharedSourceDrain("cigsd", "cigs", 0.075), B, "tunnelling", "Igd parameter",
       since="4.6"),
    _p("dlcig", "m", SameAs("lint"), N, "tunnelling", "source/drain overlap length for Igs",
       manual_binnable=True, note="ngspice does not accept L/W/P DLCIG"),
    _p("dlcigd", "m", SameAs("dlcig"), N, "tunnelling", "source/drain overlap length for Igd",
       since="4.6", manual_default="LINT", manual_binnable=True,
       note="ngspice (measured): defaults to DLCIG, which defaults to LINT; no L/W/P DLCIGD"),
    _p("nigc", "", 1.0, B, "tunnelling", "Igcs, Igcd, Igs, Igd parameter (binned value > 0)"),
    _p("poxedge", "", 1.0, B, "tunnelling", "factor for the oxide thickness in the source/drain "
       "overlap regions (binned value > 0)"),
    _p("pigcd", "", 1.0, B, "tunnelling", "Vds dependence of Igcs and Igcd (binned value > 0)"),
    _p("ntox", "", 1.0, B, "tunnelling", "exponent of the oxide thickness ratio"),
    _p("toxref", "m", 3.0e-9, N, "tunnelling", "nominal oxide thickness of the tunnelling model"),
    _p("vfbsdoff", "V", 0.0, B, "tunnelling", "flat-band voltage offset of the source/drain "
       "(Igs, Igd, GIDL)"),

    # ---------------------------------------------------------------- A.8 C-V
    _p("xpart", "", 0.0, N, "charge", "charge partition parameter"),
    _p("cgso", "F/m", Computed("DLC Coxe - CGSL when DLC > 0 is given (>= 0), else 0.6 XJ Coxe "
                               "(Note-6)"), N, "capacitance",
       "gate-source overlap capacitance per unit width (non-LDD region)"),
    _p("cgdo", "F/m", Computed("as CGSO with CGDL (Note-6)"), N, "capacitance",
       "gate-drain overlap capacitance per unit width (non-LDD region)"),
    _p("cgbo", "F/m", Computed("2 DWC Coxe (Note-6)"), N, "capacitance",
       "gate-bulk overlap capacitance per unit length",
       note="the manual's default column reads 0.0, its Note-6 the rule; ngspice's showmod prints 0"),
    _p("cgsl", "F/m", 0.0, B, "capacitance", "overlap capacitance between gate and lightly-doped source"),
    _p("cgdl", "F/m", 0.0, B, "capacitance", "overlap capacitance between gate and lightly-doped drain"),
    _p("ckappas", "V", 0.6, B, "capacitance", "bias-dependent overlap capacitance, source side"),
    _p("ckappad", "V", SameAs("ckappas"), B, "capacitance", "bias-dependent overlap capacitance, drain side",
       note="the L/W/P coefficients do not follow CKAPPAS's (measured)"),
    _p("cf", "F/m", Computed("2 EPSROX eps0 / pi ln(1 + 0.4e-6 / TOXE) (Note-7)"), B, "capacitance",
       "fringing field capacitance"),
    _p("clc", "m", 1.0e-7, B, "capacitance", "constant term of the short-channel C-V model"),
    _p("cle", "", 0.6, B, "capacitance", "exponential term of the short-channel C-V model"),
    _p("dlc", "m", SameAs("lint"), N, "capacitance", "channel-length offset of the C-V model"),
    _p("dwc", "m", SameAs("wint"), N, "geometry", "channel-width offset of the C-V model",
       note="also the default of DWJ, hence DC through Weffcj (junctions, diffusion resistance, GIDL)"),
    _p("vfbcv", "V", -1.0, B, "capacitance", "flat-band voltage of the C-V model (CAPMOD = 0)"),
    _p("noff", "", 1.0, B, "capacitance", "C-V parameter of Vgsteff,CV (weak to strong inversion)"),
    _p("voffcv", "V", 0.0, B, "capacitance", "C-V parameter of Vgsteff,CV (weak to strong inversion)"),
    _p("voffcvl", "V*m", 0.0, N, "capacitance", "channel-length dependence of VOFFCV", since="4.6",
       manual_binnable=True, note="ngspice does not accept L/W/P VOFFCVL"),
    _p("minvcv", "", 0.0, B, "capacitance", "Vgsteff,CV fitting parameter for moderate inversion",
       since="4.6"),
    _p("acde", "m/V", 1.0, B, "capacitance", "exponential coefficient of the charge thickness "
       "(CAPMOD = 2, accumulation and depletion)"),
    _p("moin", "", 15.0, B, "capacitance", "coefficient of the gate-bias dependent surface potential"),

    # ---------------------------------------------------------------- A.9 RF / gate / body resistance
    _p("xrcrg1", "", 12.0, B, "parasitic_resistance", "distributed channel-resistance parameter of the "
       "intrinsic input resistance (RGATEMOD = 2, 3) and NQS"),
    _p("xrcrg2", "", 1.0, B, "parasitic_resistance", "excess channel diffusion resistance parameter "
       "(RGATEMOD = 2, 3) and NQS"),
    _p("rbpb", "ohm", 50.0, N, "parasitic_resistance", "resistance between bNodePrime and bNode "
       "(RBODYMOD = 1)", note="also an instance parameter; values < 1e-3 are reset to 1e-3"),
    _p("rbpd", "ohm", 50.0, N, "parasitic_resistance", "resistance between bNodePrime and dbNode "
       "(RBODYMOD = 1)", note="also an instance parameter; values < 1e-3 are reset to 1e-3"),
    _p("rbps", "ohm", 50.0, N, "parasitic_resistance", "resistance between bNodePrime and sbNode "
       "(RBODYMOD = 1)", note="also an instance parameter; values < 1e-3 are reset to 1e-3"),
    _p("rbdb", "ohm", 50.0, N, "parasitic_resistance", "resistance between dbNode and bNode "
       "(RBODYMOD = 1)", note="also an instance parameter; values < 1e-3 are reset to 1e-3"),
    _p("rbsb", "ohm", 50.0, N, "parasitic_resistance", "resistance between sbNode and bNode "
       "(RBODYMOD = 1)", note="also an instance parameter; values < 1e-3 are reset to 1e-3"),
    _p("gbmin", "S", 1.0e-12, N, "parasitic_resistance", "conductance in parallel with each of the five "
       "substrate resistances"),
    _p("rbps0", "ohm", 50.0, N, "parasitic_resistance", "scaling prefactor of RBPS (RBODYMOD = 2)"),
    _p("rbpsl", "", 0.0, N, "parasitic_resistance", "length scaling of RBPS"),
    _p("rbpsw", "", 0.0, N, "parasitic_resistance", "width scaling of RBPS"),
    _p("rbpsnf", "", 0.0, N, "parasitic_resistance", "finger scaling of RBPS"),
    _p("rbpd0", "ohm", 50.0, N, "parasitic_resistance", "scaling prefactor of RBPD (RBODYMOD = 2)"),
    _p("rbpdl", "", 0.0, N, "parasitic_resistance", "length scaling of RBPD"),
    _p("rbpdw", "", 0.0, N, "parasitic_resistance", "width scaling of RBPD"),
    _p("rbpdnf", "", 0.0, N, "parasitic_resistance", "finger scaling of RBPD"),
    _p("rbpbx0", "ohm", 100.0, N, "parasitic_resistance", "scaling prefactor of RBPBX (RBODYMOD = 2)"),
    _p("rbpbxl", "", 0.0, N, "parasitic_resistance", "length scaling of RBPBX"),
    _p("rbpbxw", "", 0.0, N, "parasitic_resistance", "width scaling of RBPBX"),
    _p("rbpbxnf", "", 0.0, N, "parasitic_resistance", "finger scaling of RBPBX"),
    _p("rbpby0", "ohm", 100.0, N, "parasitic_resistance", "scaling prefactor of RBPBY (RBODYMOD = 2)"),
    _p("rbpbyl", "", 0.0, N, "parasitic_resistance", "length scaling of RBPBY"),
    _p("rbpbyw", "", 0.0, N, "parasitic_resistance", "width scaling of RBPBY"),
    _p("rbpbynf", "", 0.0, N, "parasitic_resistance", "finger scaling of RBPBY"),
    _p("rbsbx0", "ohm", 100.0, N, "parasitic_resistance", "scaling prefactor of RBSBX (RBODYMOD = 2)"),
    _p("rbsby0", "ohm", 100.0, N, "parasitic_resistance", "scaling prefactor of RBSBY (RBODYMOD = 2)"),
    _p("rbdbx0", "ohm", 100.0, N, "parasitic_resistance", "scaling prefactor of RBDBX (RBODYMOD = 2)"),
    _p("rbdby0", "ohm", 100.0, N, "parasitic_resistance", "scaling prefactor of RBDBY (RBODYMOD = 2)"),
    _p("rbsdbxl", "", 0.0, N, "parasitic_resistance", "length scaling of RBSBX and RBDBX"),
    _p("rbsdbxw", "", 0.0, N, "parasitic_resistance", "width scaling of RBSBX and RBDBX"),
    _p("rbsdbxnf", "", 0.0, N, "parasitic_resistance", "finger scaling of RBSBX and RBDBX"),
    _p("rbsdbyl", "", 0.0, N, "parasitic_resistance", "length scaling of RBSBY and RBDBY"),
    _p("rbsdbyw", "", 0.0, N, "parasitic_resistance", "width scaling of RBSBY and RBDBY"),
    _p("rbsdbynf", "", 0.0, N, "parasitic_resistance", "finger scaling of RBSBY and RBDBY"),

    # ---------------------------------------------------------------- A.10 noise
    _p("noia", "", 6.25e41, N, "noise", "flicker noise parameter A"),
    _p("noib", "", 3.125e26, N, "noise", "flicker noise parameter B"),
    _p("noic", "", 8.75e9, N, "noise", "flicker noise parameter C", manual_default="8.75"),
    _p("em", "V/m", 4.1e7, N, "noise", "saturation field (flicker noise)"),
    _p("af", "", 1.0, N, "noise", "flicker noise exponent"),
    _p("ef", "", 1.0, N, "noise", "flicker noise frequency exponent"),
    _p("kf", "", 0.0, N, "noise", "flicker noise coefficient"),
    _p("lintnoi", "m", 0.0, N, "noise", "length reduction offset of the flicker noise model"),
    _p("ntnoi", "", 1.0, N, "noise", "thermal noise factor of short-channel devices (TNOIMOD = 0)"),
    _p("tnoia", "", 1.5, N, "noise", "channel-length dependence of the total channel thermal noise"),
    _p("tnoib", "", 3.5, N, "noise", "channel-length dependence of the thermal noise partition"),
    _p("tnoic", "", 0.0, N, "noise", "length dependence of the correlation coefficient", since="4.7"),
    _p("rnoia", "", 0.577, N, "noise", "thermal noise coefficient"),
    _p("rnoib", "", 0.5164, N, "noise", "thermal noise coefficient"),
    _p("rnoic", "", 0.395, N, "noise", "correlation coefficient parameter", since="4.7"),
    _p("idovvds", "", 1.0e-9, N, "noise", "noise clamping limit", since="4.8",
       note="ngspice only (its 4.8 code); not in the manual"),

    # ---------------------------------------------------------------- A.11 layout
    _p("dmcg", "m", 0.0, N, "geometry", "distance from the source/drain contact centre to the gate edge"),
    _p("dmci", "m", SameAs("dmcg"), N, "geometry", "distance from the source/drain contact centre to the "
       "isolation edge (channel-length direction)"),
    _p("dmdg", "m", 0.0, N, "geometry", "DMCG of merged devices"),
    _p("dmcgt", "m", 0.0, N, "capacitance", "DMCG of test structures (junction capacitance extraction)"),
    _p("dwj", "m", SameAs("dwc"), N, "geometry", "offset of the source/drain junction width (Weffcj)"),
    _p("xgw", "m", 0.0, N, "parasitic_resistance", "distance from the gate contact to the channel edge "
       "(gate resistance)", note="also an instance parameter"),
    _p("xgl", "m", 0.0, N, "parasitic_resistance", "offset of the gate length due to patterning "
       "(gate resistance)"),
    _p("xl", "m", 0.0, N, "geometry", "channel-length offset due to mask/etch effects"),
    _p("xw", "m", 0.0, N, "geometry", "channel-width offset due to mask/etch effects"),
    _p("ngcon", "", 1.0, N, "parasitic_resistance", "number of gate contacts (gate resistance)",
       allowed=(1, 2), note="also an instance parameter; the manual: < 1 fatal, other values reset to 1"),

    # ---------------------------------------------------------------- A.12 junctions
    _p("ijthsrev", "A", 0.1, N, "junction", "limiting current of the source diode in reverse bias"),
    _p("ijthdrev", "A", SameAs("ijthsrev"), N, "junction", "limiting current of the drain diode in reverse bias"),
    _p("ijthsfwd", "A", 0.1, N, "junction", "limiting current of the source diode in forward bias"),
    _p("ijthdfwd", "A", SameAs("ijthsfwd"), N, "junction", "limiting current of the drain diode in forward bias"),
    _p("xjbvs", "", 1.0, N, "junction", "fitting parameter of the source diode breakdown (Note-8)"),
    _p("xjbvd", "", SameAs("xjbvs"), N, "junction", "fitting parameter of the drain diode breakdown"),
    _p("bvs", "V", 10.0, N, "junction", "source diode breakdown voltage"),
    _p("bvd", "V", SameAs("bvs"), N, "junction", "drain diode breakdown voltage"),
    _p("jss", "A/m^2", 1.0e-4, N, "junction", "bottom saturation current density, source"),
    _p("jsd", "A/m^2", SameAs("jss"), N, "junction", "bottom saturation current density, drain"),
    _p("jsws", "A/m", 0.0, N, "junction", "isolation-edge sidewall saturation current density, source"),
    _p("jswd", "A/m", SameAs("jsws"), N, "junction", "isolation-edge sidewall saturation current density, "
       "drain"),
    _p("jswgs", "A/m", 0.0, N, "junction", "gate-edge sidewall saturation current density, source"),
    _p("jswgd", "A/m", SameAs("jswgs"), N, "junction", "gate-edge sidewall saturation current density, drain"),
    _p("jtss", "A/m^2", 0.0, N, "junction", "bottom trap-assisted saturation current density, source"),
    _p("jtsd", "A/m^2", SameAs("jtss"), N, "junction", "bottom trap-assisted saturation current density, drain"),
    _p("jtssws", "A/m", 0.0, N, "junction", "STI sidewall trap-assisted saturation current density, source"),
    _p("jtsswd", "A/m", SameAs("jtssws"), N, "junction", "STI sidewall trap-assisted saturation current "
       "density, drain"),
    _p("jtsswgs", "A/m", 0.0, N, "junction", "gate-edge sidewall trap-assisted saturation current "
       "density, source"),
    _p("jtsswgd", "A/m", SameAs("jtsswgs"), N, "junction", "gate-edge sidewall trap-assisted saturation "
       "current density, drain"),
    _p("jtweff", "m", 0.0, N, "junction", "width dependence of the trap-assisted tunnelling current "
       "density", since="4.6"),
    _p("njts", "", 20.0, N, "junction", "non-ideality factor of JTSS"),
    _p("njtsd", "", SameAs("njts"), N, "junction", "non-ideality factor of JTSD", since="4.6"),
    _p("njtssw", "", 20.0, N, "junction", "non-ideality factor of JTSSWS"),
    _p("njtsswd", "", SameAs("njtssw"), N, "junction", "non-ideality factor of JTSSWD", since="4.6"),
    _p("njtsswg", "", 20.0, N, "junction", "non-ideality factor of JTSSWGS"),
    _p("njtsswgd", "", SameAs("njtsswg"), N, "junction", "non-ideality factor of JTSSWGD", since="4.6"),
    _p("xtss", "", 0.02, N, "temperature", "temperature power of JTSS"),
    _p("xtsd", "", SameAs("xtss"), N, "temperature", "temperature power of JTSD", manual_default="0.02",
       note="ngspice (measured): defaults to XTSS"),
    _p("xtssws", "", 0.02, N, "temperature", "temperature power of JTSSWS"),
    _p("xtsswd", "", SameAs("xtssws"), N, "temperature", "temperature power of JTSSWD",
       manual_default="0.02", note="ngspice (measured): defaults to XTSSWS"),
    _p("xtsswgs", "", 0.02, N, "temperature", "temperature power of JTSSWGS"),
    _p("xtsswgd", "", SameAs("xtsswgs"), N, "temperature", "temperature power of JTSSWGD",
       manual_default="0.02", note="ngspice (measured): defaults to XTSSWGS"),
    _p("vtss", "V", 10.0, N, "junction", "bottom trap-assisted voltage parameter, source"),
    _p("vtsd", "V", SameAs("vtss"), N, "junction", "bottom trap-assisted voltage parameter, drain"),
    _p("vtssws", "V", 10.0, N, "junction", "STI sidewall trap-assisted voltage parameter, source"),
    _p("vtsswd", "V", SameAs("vtssws"), N, "junction", "STI sidewall trap-assisted voltage parameter, drain"),
    _p("vtsswgs", "V", 10.0, N, "junction", "gate-edge sidewall trap-assisted voltage parameter, source"),
    _p("vtsswgd", "V", SameAs("vtsswgs"), N, "junction", "gate-edge sidewall trap-assisted voltage "
       "parameter, drain"),
    _p("tnjts", "", 0.0, N, "temperature", "temperature coefficient of NJTS"),
    _p("tnjtsd", "", SameAs("tnjts"), N, "temperature", "temperature coefficient of NJTSD", since="4.6"),
    _p("tnjtssw", "", 0.0, N, "temperature", "temperature coefficient of NJTSSW"),
    _p("tnjtsswd", "", SameAs("tnjtssw"), N, "temperature", "temperature coefficient of NJTSSWD",
       since="4.6"),
    _p("tnjtsswg", "", 0.0, N, "temperature", "temperature coefficient of NJTSSWG"),
    _p("tnjtsswgd", "", SameAs("tnjtsswg"), N, "temperature", "temperature coefficient of NJTSSWGD",
       since="4.6"),
    _p("cjs", "F/m^2", 5.0e-4, N, "capacitance", "bottom junction capacitance per unit area, source"),
    _p("cjd", "F/m^2", SameAs("cjs"), N, "capacitance", "bottom junction capacitance per unit area, drain"),
    _p("mjs", "", 0.5, N, "capacitance", "bottom junction capacitance grading coefficient, source"),
    _p("mjd", "", SameAs("mjs"), N, "capacitance", "bottom junction capacitance grading coefficient, drain"),
    _p("mjsws", "", 0.33, N, "capacitance", "isolation-edge sidewall capacitance grading coefficient, "
       "source"),
    _p("mjswd", "", SameAs("mjsws"), N, "capacitance", "isolation-edge sidewall capacitance grading "
       "coefficient, drain"),
    _p("cjsws", "F/m", 5.0e-10, N, "capacitance", "isolation-edge sidewall capacitance per unit length, "
       "source"),
    _p("cjswd", "F/m", SameAs("cjsws"), N, "capacitance", "isolation-edge sidewall capacitance per unit "
       "length, drain"),
    _p("cjswgs", "F/m", SameAs("cjsws"), N, "capacitance", "gate-edge sidewall capacitance per unit length, "
       "source"),
    _p("cjswgd", "F/m", SameAs("cjswgs"), N, "capacitance", "gate-edge sidewall capacitance per unit "
       "length, drain", manual_default="CJSWS", note="ngspice (measured): defaults to CJSWGS"),
    _p("mjswgs", "", SameAs("mjsws"), N, "capacitance", "gate-edge sidewall capacitance grading "
       "coefficient, source"),
    _p("mjswgd", "", SameAs("mjswgs"), N, "capacitance", "gate-edge sidewall capacitance grading "
       "coefficient, drain", manual_default="MJSWS", note="ngspice (measured): defaults to MJSWGS"),
    _p("pbs", "V", 1.0, N, "capacitance", "bottom junction built-in potential, source",
       note="printed as PB in the manual's A.12"),
    _p("pbd", "V", SameAs("pbs"), N, "capacitance", "bottom junction built-in potential, drain"),
    _p("pbsws", "V", 1.0, N, "capacitance", "isolation-edge sidewall built-in potential, source"),
    _p("pbswd", "V", SameAs("pbsws"), N, "capacitance", "isolation-edge sidewall built-in potential, drain"),
    _p("pbswgs", "V", SameAs("pbsws"), N, "capacitance", "gate-edge sidewall built-in potential, source"),
    _p("pbswgd", "V", SameAs("pbswgs"), N, "capacitance", "gate-edge sidewall built-in potential, drain",
       manual_default="PBSWS", note="ngspice (measured): defaults to PBSWGS"),

    # ---------------------------------------------------------------- A.13 temperature
    _p("tnom", "degC", 27.0, N, "temperature", "temperature at which the parameters were extracted",
       note="ngspice stores it in kelvin (showmod prints 300.15)"),
    _p("ute", "", -1.5, B, "temperature", "temperature exponent of the mobility"),
    _p("ucste", "1/K", -4.775e-3, B, "temperature", "temperature coefficient of the Coulomb mobility "
       "exponent", since="4.6"),
    _p("kt1", "V", -0.11, B, "temperature", "temperature coefficient of the threshold voltage"),
    _p("kt1l", "V*m", 0.0, B, "temperature", "channel-length dependence of KT1"),
    _p("kt2", "", 0.022, B, "temperature", "body-bias coefficient of the Vth temperature effect"),
    _p("ua1", "m/V", 1.0e-9, B, "temperature", "temperature coefficient of UA"),
    _p("ub1", "(m/V)^2", -1.0e-18, B, "temperature", "temperature coefficient of UB"),
    _p("uc1", "m/V^2", ByMobmod(((1, -0.056), (5, -0.056)), -0.056e-9), B, "temperature",
       "temperature coefficient of UC (unit 1/V under MOBMOD = 1)",
       manual_default="0.056V-1 for MOBMOD=1; 0.056e-9m/V2 for MOBMOD=0 and 2",
       note="ngspice (measured): negative, -0.056 under MOBMOD = 1 and 5, -0.056e-9 otherwise"),
    _p("ud1", "1/m^2", 0.0, B, "temperature", "temperature coefficient of UD"),
    _p("at", "m/s", 3.3e4, B, "temperature", "temperature coefficient of the saturation velocity"),
    _p("prt", "ohm*um", 0.0, B, "temperature", "temperature coefficient of RDSW"),
    _p("njs", "", 1.0, N, "junction", "emission coefficient of the source junction"),
    _p("njd", "", SameAs("njs"), N, "junction", "emission coefficient of the drain junction"),
    _p("xtis", "", 3.0, N, "temperature", "temperature exponent of the source junction current"),
    _p("xtid", "", SameAs("xtis"), N, "temperature", "temperature exponent of the drain junction current"),
    _p("tpb", "V/K", 0.0, N, "capacitance", "temperature coefficient of PB"),
    _p("tpbsw", "V/K", 0.0, N, "capacitance", "temperature coefficient of PBSW"),
    _p("tpbswg", "V/K", 0.0, N, "capacitance", "temperature coefficient of PBSWG"),
    _p("tcj", "1/K", 0.0, N, "capacitance", "temperature coefficient of CJ"),
    _p("tcjsw", "1/K", 0.0, N, "capacitance", "temperature coefficient of CJSW"),
    _p("tcjswg", "1/K", 0.0, N, "capacitance", "temperature coefficient of CJSWG"),
    _p("tvoff", "1/K", 0.0, B, "temperature", "temperature coefficient of VOFF", manual_binnable=False),
    _p("tvfbsdoff", "1/K", 0.0, B, "temperature", "temperature coefficient of VFBSDOFF",
       manual_binnable=False),
    _p("tnfactor", "", 0.0, B, "temperature", "temperature coefficient of NFACTOR", since="4.7"),
    _p("teta0", "", 0.0, B, "temperature", "temperature coefficient of ETA0", since="4.7"),
    _p("tvoffcv", "1/K", 0.0, B, "capacitance", "temperature coefficient of VOFFCV", since="4.7"),

    # ---------------------------------------------------------------- A.14 stress
    _p("saref", "m", 1.0e-6, N, "stress", "reference distance between OD edge and poly, one side",
       note="the manual prints SAref"),
    _p("sbref", "m", 1.0e-6, N, "stress", "reference distance between OD edge and poly, other side",
       note="the manual prints SBref"),
    _p("wlod", "m", 0.0, N, "stress", "width parameter of the stress effect"),
    _p("ku0", "m", 0.0, N, "stress", "mobility degradation/enhancement coefficient of the stress effect",
       note="ngspice lists LKU0/WKU0/PKU0 like binned names; they are the stress model's own "
            "length/width/cross terms (with LLODKU0, WLODKU0), not standard binning"),
    _p("kvsat", "m", 0.0, N, "stress", "saturation velocity degradation/enhancement of the stress effect "
       "(-1 <= KVSAT <= 1)"),
    _p("tku0", "", 0.0, N, "stress", "temperature coefficient of KU0"),
    _p("lku0", "m^LLODKU0", 0.0, N, "stress", "length dependence of KU0"),
    _p("wku0", "m^WLODKU0", 0.0, N, "stress", "width dependence of KU0"),
    _p("pku0", "m^(LLODKU0+WLODKU0)", 0.0, N, "stress", "cross-term dependence of KU0"),
    _p("llodku0", "", 0.0, N, "stress", "length exponent of the u0 stress effect"),
    _p("wlodku0", "", 0.0, N, "stress", "width exponent of the u0 stress effect"),
    _p("kvth0", "V*m", 0.0, N, "stress", "threshold shift parameter of the stress effect",
       note="LKVTH0/WKVTH0/PKVTH0 are the stress model's own terms, as for KU0"),
    _p("lkvth0", "m^LLODVTH", 0.0, N, "stress", "length dependence of KVTH0"),
    _p("wkvth0", "m^WLODVTH", 0.0, N, "stress", "width dependence of KVTH0"),
    _p("pkvth0", "m^(LLODVTH+WLODVTH)", 0.0, N, "stress", "cross-term dependence of KVTH0"),
    _p("llodvth", "", 0.0, N, "stress", "length exponent of the Vth stress effect"),
    _p("wlodvth", "", 0.0, N, "stress", "width exponent of the Vth stress effect"),
    _p("stk2", "m", 0.0, N, "stress", "K2 shift factor related to the VTH0 change"),
    _p("lodk2", "", 1.0, N, "stress", "K2 shift modification factor of the stress effect"),
    _p("steta0", "m", 0.0, N, "stress", "ETA0 shift factor related to the VTH0 change"),
    _p("lodeta0", "", 1.0, N, "stress", "ETA0 shift modification factor of the stress effect"),

    # ---------------------------------------------------------------- A.15 well proximity
    _p("web", "", 0.0, N, "wpe", "coefficient of SCB"),
    _p("wec", "", 0.0, N, "wpe", "coefficient of SCC"),
    _p("kvth0we", "V", 0.0, B, "wpe", "threshold shift factor of the well-proximity effect"),
    _p("k2we", "", 0.0, B, "wpe", "K2 shift factor of the well-proximity effect"),
    _p("ku0we", "", 0.0, B, "wpe", "mobility degradation factor of the well-proximity effect"),
    _p("scref", "m", 1.0e-6, N, "wpe", "reference distance for SCA, SCB and SCC"),

    # ---------------------------------------------------------------- A.16 dW and dL
    _p("wl", "m^WLN", 0.0, N, "geometry", "length dependence of the width offset"),
    _p("wln", "", 1.0, N, "geometry", "power of the length dependence of the width offset"),
    _p("ww", "m^WWN", 0.0, N, "geometry", "width dependence of the width offset"),
    _p("wwn", "", 1.0, N, "geometry", "power of the width dependence of the width offset"),
    _p("wwl", "m^(WWN+WLN)", 0.0, N, "geometry", "length-width cross term of the width offset"),
    _p("ll", "m^LLN", 0.0, N, "geometry", "length dependence of the length offset"),
    _p("lln", "", 1.0, N, "geometry", "power of the length dependence of the length offset"),
    _p("lw", "m^LWN", 0.0, N, "geometry", "width dependence of the length offset"),
    _p("lwn", "", 1.0, N, "geometry", "power of the width dependence of the length offset"),
    _p("lwl", "m^(LWN+LLN)", 0.0, N, "geometry", "length-width cross term of the length offset"),
    _p("llc", "m^LLN", SameAs("ll"), N, "capacitance", "length dependence of the C-V length offset"),
    _p("lwc", "m^LWN", SameAs("lw"), N, "capacitance", "width dependence of the C-V length offset"),
    _p("lwlc", "m^(LWN+LLN)", SameAs("lwl"), N, "capacitance", "cross term of the C-V length offset"),
    _p("wlc", "m^WLN", SameAs("wl"), N, "geometry", "length dependence of the C-V width offset",
       note="also used by Weffcj (junctions, GIDL, diffusion resistance), hence DC"),
    _p("wwc", "m^WWN", SameAs("ww"), N, "geometry", "width dependence of the C-V width offset",
       note="also used by Weffcj, hence DC"),
    _p("wwlc", "m^(WWN+WLN)", SameAs("wwl"), N, "geometry", "cross term of the C-V width offset",
       note="also used by Weffcj, hence DC"),

    # ---------------------------------------------------------------- A.17 range
    _p("lmin", "m", 0.0, N, "range", "minimum channel length of the card"),
    _p("lmax", "m", 1.0, N, "range", "maximum channel length of the card"),
    _p("wmin", "m", 0.0, N, "range", "minimum channel width of the card"),
    _p("wmax", "m", 1.0, N, "range", "maximum channel width of the card"),

    # ---------------------------------------------------------------- ngspice only: SOA limits, type flags
    *[_p(name, "V", 1.0e99, N, "parameter_check", f"safe-operating-area limit of |{label}| "
         "(ngspice warns when exceeded)", note="ngspice only")
      for name, label in (("vgs_max", "Vgs"), ("vgd_max", "Vgd"), ("vgb_max", "Vgb"), ("vds_max", "Vds"),
                          ("vbs_max", "Vbs"), ("vbd_max", "Vbd"), ("vgsr_max", "Vgs reverse"),
                          ("vgdr_max", "Vgd reverse"), ("vgbr_max", "Vgb reverse"),
                          ("vbsr_max", "Vbs reverse"), ("vbdr_max", "Vbd reverse"))],
    _p("nmos", "", 1.0, N, "selector", "flag: the card is an NMOS card", allowed=(1,),
       note="ngspice only (the type is normally the .model line's type field)"),
    _p("pmos", "", 0.0, N, "selector", "flag: the card is a PMOS card", allowed=(0,),
       note="ngspice only; PMOS cards are not supported here"),
]

# ============================================================================= instance parameters
_INSTANCE = [
    _p("l", "m", 5.0e-6, N, "geometry", "drawn channel length",
       note="measured: ngspice 39's BSIM4 codes use 5 um when the instance gives no L (not the "
            "100 um of .options defl, which level 1 uses)"),
    _p("w", "m", 5.0e-6, N, "geometry", "drawn channel width (all fingers)",
       note="measured: ngspice 39's BSIM4 codes use 5 um when the instance gives no W"),
    _p("m", "", 1.0, N, "geometry", "parallel multiplier"),
    _p("nf", "", 1.0, N, "geometry", "number of device fingers (>= 1)"),
    _p("min", "", 0.0, N, "geometry", "for even finger counts: 0 minimises the drain diffusions, "
       "1 the source diffusions", allowed=_SEL01),
    _p("as", "m^2", Computed("from NF, DWJ, GEOMOD, DMCG, DMCI, DMDG, DMCGT and Weffcj (manual 12.2)"),
       N, "junction", "source diffusion area"),
    _p("ad", "m^2", Computed("from NF, DWJ, GEOMOD, DMCG, DMCI, DMDG, DMCGT and Weffcj (manual 12.2)"),
       N, "junction", "drain diffusion area"),
    _p("ps", "m", Computed("from NF, DWJ, GEOMOD, DMCG, DMCI, DMDG, DMCGT and Weffcj (manual 12.2)"),
       N, "junction", "source diffusion perimeter (with the gate edge when PERMOD = 1)"),
    _p("pd", "m", Computed("from NF, DWJ, GEOMOD, DMCG, DMCI, DMDG, DMCGT and Weffcj (manual 12.2)"),
       N, "junction", "drain diffusion perimeter (with the gate edge when PERMOD = 1)"),
    _p("nrs", "", Computed("RGEOMOD = 0: no diffusion resistance (as NRS = 0); RGEOMOD > 0: "
                           "computed from the layout (manual 12.2)"), N, "parasitic_resistance",
       "number of source diffusion squares", manual_default="1.0",
       note="measured with the PTM 45 nm HP card (RSH = 5): an instance without NRS has no "
            "source resistance, unlike NRS = 1; ngspice's 'show' prints 1"),
    _p("nrd", "", Computed("RGEOMOD = 0: no diffusion resistance (as NRD = 0); RGEOMOD > 0: "
                           "computed from the layout (manual 12.2)"), N, "parasitic_resistance",
       "number of drain diffusion squares", manual_default="1.0",
       note="as NRS"),
    _p("sa", "m", 0.0, N, "stress", "distance from the OD edge to the poly, one side "
       "(stress effect off unless given and > 0)"),
    _p("sb", "m", 0.0, N, "stress", "distance from the OD edge to the poly, other side "
       "(stress effect off unless given and > 0)"),
    _p("sd", "m", 0.0, N, "stress", "distance between neighbouring fingers (NF > 1)"),
    _p("sca", "", Computed("from SC and SCREF when SC is given (manual chapter 15)"), N, "wpe",
       "integral of the first distribution function of scattered well dopants"),
    _p("scb", "", Computed("from SC and SCREF when SC is given (manual chapter 15)"), N, "wpe",
       "integral of the second distribution function of scattered well dopants"),
    _p("scc", "", Computed("from SC and SCREF when SC is given (manual chapter 15)"), N, "wpe",
       "integral of the third distribution function of scattered well dopants"),
    _p("sc", "m", 0.0, N, "wpe", "distance to a single well edge (WPE off unless given and > 0)"),
    _p("delvto", "V", 0.0, N, "channel", "zero-bias threshold voltage shift", aliases=("delvt0",)),
    _p("mulu0", "", 1.0, N, "channel", "low-field mobility multiplier",
       note="ngspice only; not in the manual's appendix.  Measured: every ngspice BSIM4 code "
            "applies it, also to 4.0-4.5 cards (the ngspice manual names 4.7 and 4.8 only)"),
    _p("xgw", "m", SameAs("xgw"), N, "parasitic_resistance", "distance from the gate contact to the "
       "channel edge"),
    _p("ngcon", "", SameAs("ngcon"), N, "parasitic_resistance", "number of gate contacts",
       allowed=(1, 2)),
    _p("rbdb", "ohm", SameAs("rbdb"), N, "parasitic_resistance", "body resistance dbNode-bNode"),
    _p("rbsb", "ohm", SameAs("rbsb"), N, "parasitic_resistance", "body resistance sbNode-bNode"),
    _p("rbpb", "ohm", SameAs("rbpb"), N, "parasitic_resistance", "body resistance bNodePrime-bNode"),
    _p("rbps", "ohm", SameAs("rbps"), N, "parasitic_resistance", "body resistance bNodePrime-sbNode"),
    _p("rbpd", "ohm", SameAs("rbpd"), N, "parasitic_resistance", "body resistance bNodePrime-dbNode"),
    _p("trnqsmod", "", SameAs("trnqsmod"), N, "nqs", "transient NQS model selector", allowed=_SEL01),
    _p("acnqsmod", "", SameAs("acnqsmod"), N, "nqs", "AC NQS model selector", allowed=_SEL01),
    _p("rbodymod", "", SameAs("rbodymod"), N, "selector", "substrate resistance network selector",
       allowed=(0, 1, 2)),
    _p("rgatemod", "", SameAs("rgatemod"), N, "selector", "gate resistance model selector",
       allowed=(0, 1, 2, 3)),
    _p("geomod", "", SameAs("geomod"), N, "selector", "source/drain diffusion connection selector",
       allowed=tuple(range(11))),
    _p("rgeomod", "", SameAs("rgeomod"), N, "selector", "source/drain diffusion resistance and contact "
       "selector (Table 12.2)", allowed=tuple(range(9))),
    _p("wnflag", "", 0.0, N, "geometry", "1: a model set's bins are selected by W/NF instead of W",
       allowed=_SEL01, since="4.7", note="ngspice only"),
    _p("off", "", 0.0, N, "initial_condition", "start the operating-point iteration with the device off",
       allowed=_SEL01, note="a bare keyword on an instance line"),
]

# instance parameters the manual lists in Appendix A; ngspice also accepts W L M AS AD PS PD MULU0
# WNFLAG OFF (and IC, an initial-condition vector, refused here)

# ----------------------------------------------------------------------------- indexes


def _index(table, kind):
    out = {}
    for p in table:
        for key in (p.name, *p.aliases):
            if key in out:
                raise RuntimeError(f"duplicate {kind} parameter name {key!r} in the catalog")
            out[key] = p
    return MappingProxyType(out)


#: Every model parameter, by canonical name (in the manual's order).
MODEL_PARAMETERS = MappingProxyType({p.name: p for p in _MODEL})
#: Every instance parameter, by canonical name.
INSTANCE_PARAMETERS = MappingProxyType({p.name: p for p in _INSTANCE})
_MODEL_NAMES = _index(_MODEL, "model")        # name or alias -> Parameter
_INSTANCE_NAMES = _index(_INSTANCE, "instance")


def model_parameter(name: str) -> Parameter:
    """The model parameter called ``name`` (canonical name or alias, any case); KeyError if none."""
    return _MODEL_NAMES[name.lower()]


def instance_parameter(name: str) -> Parameter:
    """The instance parameter called ``name`` (canonical name or alias, any case); KeyError if none."""
    return _INSTANCE_NAMES[name.lower()]


def lookup(name: str):
    """A card name -> ``(Parameter, prefix)`` or None.

    ``prefix`` is "" for the parameter itself and "l", "w" or "p" for a
    binned coefficient of a binnable parameter (``lvth0`` -> (VTH0, "l");
    aliases too: ``lvtho``).  Names that are parameters in their own right
    win over a binned reading (``lint`` is LINT, not L-INT).
    """
    key = name.lower()
    p = _MODEL_NAMES.get(key)
    if p is not None:
        return p, ""
    if len(key) > 1 and key[0] in "lwp":
        base = _MODEL_NAMES.get(key[1:])
        if base is not None and base.binnable:
            return base, key[0]
    return None


def lookup_instance(name: str):
    """An instance-line name -> Parameter, or None."""
    return _INSTANCE_NAMES.get(name.lower())


def binned_names(p: Parameter) -> tuple:
    """Canonical names of the L, W, P coefficients of a binnable parameter (() otherwise)."""
    return tuple(f"{c}{p.name}" for c in "lwp") if p.binnable else ()


def suggest(name: str, *, instance: bool = False) -> list:
    """Known names close to an unknown ``name`` (for error messages), best first."""
    pool = list(_INSTANCE_NAMES) if instance else list(_MODEL_NAMES)
    if not instance:
        pool += [f"{c}{p.name}" for p in _MODEL if p.binnable for c in "lwp"]
    return difflib.get_close_matches(name.lower(), pool, n=3, cutoff=0.75)


def disagreements() -> list:
    """Where the manual and ngspice 39 disagree: ``(name, what, manual, ngspice)`` tuples."""
    out = []
    for kind, table in (("model", _MODEL), ("instance", _INSTANCE)):
        for p in table:
            if p.since is None:
                out.append((p.name, f"{kind} name", "listed", "not accepted"))
            elif "ngspice only" in p.note:
                out.append((p.name, f"{kind} name", "not listed", "accepted"))
            if p.manual_default is not None:
                out.append((p.name, "default", p.manual_default, _describe_default(p.default)))
            if p.manual_binnable is not None and p.manual_binnable != p.binnable:
                out.append((p.name, "binnable", "yes" if p.manual_binnable else "no",
                            "yes" if p.binnable else "no"))
    return out


def _describe_default(default) -> str:
    if isinstance(default, float):
        return repr(default)
    if isinstance(default, SameAs):
        return default.source.upper()
    if isinstance(default, Computed):
        return f"computed: {default.rule}"
    if default is None:
        return "none"
    return repr(default)


def _check_catalog() -> None:
    """Invariants of the table (run at import: a broken catalog must not load)."""
    for p in (*_MODEL, *_INSTANCE):
        if p.name != p.name.lower() or not p.name.isidentifier():
            raise RuntimeError(f"catalog name {p.name!r} is not a lower-case identifier")
        if p.dc not in DC_CATEGORIES:
            raise RuntimeError(f"{p.name}: unknown DC category {p.dc!r}")
        if isinstance(p.default, SameAs):
            table = MODEL_PARAMETERS
            if p.name in INSTANCE_PARAMETERS and p.default.source == p.name:
                continue  # an instance parameter defaulting to the card's value of the same name
            if p.default.source not in table:
                raise RuntimeError(f"{p.name}: default refers to unknown parameter {p.default.source!r}")
            if p.default.binned and not (p.binnable and table[p.default.source].binnable):
                raise RuntimeError(f"{p.name}: binned default from a non-binnable parameter")
        if isinstance(p.default, SharedSourceDrain):
            for other in (p.default.joint, p.default.partner):
                if other not in MODEL_PARAMETERS:
                    raise RuntimeError(f"{p.name}: default refers to unknown parameter {other!r}")
    # a binned reading of one name must never be another parameter's own name
    for p in _MODEL:
        for alias in (p.name, *p.aliases):
            if p.binnable:
                for c in "lwp":
                    clash = _MODEL_NAMES.get(c + alias)
                    if clash is not None:
                        raise RuntimeError(f"binned name {c + alias!r} of {p.name} is also the "
                                           f"parameter {clash.name}")


_check_catalog()
