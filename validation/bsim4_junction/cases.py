"""Validation cases for BSIM4 junction diodes and parasitic resistances against ngspice 39.

Every case is one NMOS instance of a published PTM 45 nm card (``validation/cards``) with the
channel's own gate and body currents switched off (:data:`QUIET`), some parameters changed, at a
list of bias points.  Three kinds:

* ``terminal`` -- the channel carries no current (V_GS <= −3 V, or V_D = V_S with identical source
  and drain sides), so the four terminal currents are those of the junctions through the series
  resistances and the substrate network: xbarsolve's models solved by :mod:`.network` against
  ngspice's terminal currents.
* ``gate`` -- RGATEMOD = 1 with gate tunnelling on: ngspice's gate-node drop over its gate current
  is Rgeltd, compared with :func:`~xbarsolve.devices.bsim4.parasitics.gate_electrode_resistance`.
* ``series`` -- RDSMOD = 1 with the channel on: ngspice's drops s–s' and d–d' over its terminal
  currents are the bias-dependent resistances at ngspice's own intrinsic voltages, compared with
  :func:`~xbarsolve.devices.bsim4.parasitics.series_resistance` at those voltages.

Tolerance: max(1e-9·|reference|, 1e-18 A) for currents, 1e-9 relative for resistances -- except
where ngspice's own answer is less precise:

* it solves for node voltages, so a current through a branch of conductance G between nodes at
  ~|V| carries ~eps·G·|V| of rounding (2e-18 A through 10 Ω at 0.2 V, 2e-16 A through the PTM
  cards' RBPB = 5 Ω at 1 V, 1e-13 A through a 1e3 S branch): the current tolerance is never below
  4·eps·G_max·|V|_max of the device and bias (:func:`.compare.rounding_floor`);
* at a point ngspice reached only through gmin or source stepping (:func:`needed_stepping`) its
  solution may keep GMIN from each internal node to ground: the tolerance is then never below
  (number of internal nodes)·GMIN·|V|_max (:func:`.compare.stepping_floor`).  Terminal currents
  only: a drop over a resistor divided by the terminal current through it (kinds ``gate`` and
  ``series``) is exact whatever shunts the internal node.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
CARDS = {"hp": os.path.join(HERE, "..", "cards", "ptm45_hp.pm"),
         "lp": os.path.join(HERE, "..", "cards", "ptm45_lp.pm")}

#: every gate and body current of the channel model off, no networks unless a case asks
QUIET = {"igcmod": 0, "igbmod": 0, "alpha0": 0.0, "alpha1": 0.0, "agidl": 0.0, "rbodymod": 0, "rgatemod": 0}
CURRENT_RTOL = 1e-9
CURRENT_ATOL = 1e-18
RESISTANCE_RTOL = 1e-9

#: channel off (V_GS, V_GD <= −3 V; NFACTOR = 2.2 needs that much), junctions from reverse through forward, drain and source apart
SWEEP = ((0.0, -3.0, 0.0, -1.0), (0.0, -3.0, 0.0, -0.3), (0.0, -3.0, 0.0, 0.2), (0.0, -3.0, 0.0, 0.45),
         (0.0, -3.0, 0.0, 0.6), (0.0, -3.0, 0.0, 0.75), (0.3, -3.0, 0.0, 0.5), (-0.4, -5.0, 0.2, 0.0))
#: as SWEEP, plus the forward limiting region of the PTM cards (IJTHFWD = 10 mA)
SWEEP_LIMIT = SWEEP + ((0.0, -3.0, 0.0, 0.85), (0.0, -3.0, 0.0, 0.95))
#: reverse bias into breakdown (BV = 3 V and below)
SWEEP_BREAKDOWN = ((0.0, -3.0, 0.0, -2.5), (0.0, -3.0, 0.0, -3.0), (0.0, -3.0, 0.0, -3.2),
                   (0.0, -3.0, 0.0, -3.6), (0.5, -3.0, 0.0, -3.3), (0.0, -3.0, 0.0, 0.5))
#: V_D = V_S with the channel on (symmetric devices only)
SWEEP_SYMMETRIC = ((0.0, 1.0, 0.0, 0.5), (0.0, 1.0, 0.0, 0.7), (0.1, 1.1, 0.1, 0.8), (0.0, 0.7, 0.0, -0.5),
                   (0.0, -3.0, 0.0, 0.75))
#: channel on, for the RDSMOD = 1 resistance at ngspice's operating point
SWEEP_CHANNEL = ((0.05, 0.9, 0.0, -0.3), (0.05, 0.9, 0.0, 0.2), (0.5, 1.0, 0.1, 0.2), (1.0, 1.0, 0.0, 0.0),
                 (0.2, 0.6, 0.0, -0.5))
#: gate tunnelling on (RGATEMOD cases)
SWEEP_GATE = ((0.5, 1.0, 0.0, 0.0), (0.0, 1.2, 0.0, 0.0), (0.05, -0.5, 0.0, 0.0))

_SYM = {"jsd": 1e3, "jss": 1e3}   # strong, identical junctions


@dataclasses.dataclass(frozen=True)
class Case:
    """One validation case: ``card`` ("hp"/"lp"), model ``overrides`` (on top of :data:`QUIET`),
    ``instance`` keywords (SI), ``temperature`` (°C), ``biases`` ((V_D, V_G, V_S, V_B), ...), ``kind``
    ("terminal", "gate", "series"), ngspice's ``gmin`` (S) and ``reltol`` (ngspice does not converge
    at 1e-12 with the 1e3 S branches of RBODYMOD = 2's 1-R network)."""
    name: str
    card: str
    overrides: dict
    instance: dict
    temperature: float
    biases: tuple
    kind: str = "terminal"
    gmin: float = 1e-12
    reltol: float = 1e-12

    def definition(self) -> dict:
        """JSON-able description: a committed reference is stale when this changes."""
        d = dataclasses.asdict(self)
        d["biases"] = [list(b) for b in self.biases]
        return d


def _c(name, card, overrides, instance, temperature=27.0, biases=SWEEP, kind="terminal", gmin=1e-12,
       reltol=1e-12):
    return Case(name, card, dict(overrides), dict(instance), float(temperature), tuple(biases), kind, gmin,
                reltol)


W1 = {"w": 1e-6, "l": 45e-9}
GEO = {"dmcg": 1.1e-7, "dmci": 1.9e-7, "dmdg": 0.7e-7, "dmcgt": 0.3e-7, "jss": 2e-2, "jsws": 3e-9,
       "jswgs": 5e-9, "jsd": 7e-2, "jswd": 1e-9, "jswgd": 2e-9}
TAT = {"jtss": 3e-2, "jtssws": 4e-9, "jtsswgs": 6e-9, "njts": 15.0, "njtssw": 18.0, "njtsswg": 12.0,
       "vtss": 8.0, "vtssws": 6.0, "vtsswgs": 5.0, "xtss": 0.03, "xtssws": 0.04, "xtsswgs": 0.05,
       "tnjts": 0.1, "tnjtssw": 0.2, "tnjtsswg": 0.3, "jtsd": 5e-2, "jtsswd": 2e-9, "jtsswgd": 9e-9,
       "xtsd": 0.07, "vtsd": 7.0}
TAT_DRAIN_46 = {"njtsd": 25.0, "njtsswd": 14.0, "njtsswgd": 11.0, "tnjtsd": 0.3, "tnjtsswd": 0.1,
                "tnjtsswgd": 0.05, "jtweff": 0.3e-6}

CASES = (
    # ---- junctions, default geometry of the published cards and given AS/AD/PS/PD
    _c("hp_default_27", "hp", {}, W1, 27.0, SWEEP_LIMIT),
    _c("hp_default_85", "hp", {}, W1, 85.0, SWEEP_LIMIT),
    _c("lp_default_27", "lp", {}, {"w": 0.3e-6, "l": 45e-9}, 27.0, SWEEP_LIMIT),
    _c("lp_default_85", "lp", {}, {"w": 4e-6, "l": 90e-9}, 85.0, SWEEP_LIMIT),
    _c("hp_v48_default_85", "hp", {"version": "4.8"}, W1, 85.0, SWEEP_LIMIT),
    _c("hp_given_geometry_27", "hp", {}, dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 27.0),
    _c("lp_given_geometry_85", "lp", {}, dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 85.0),
    _c("hp_permod0_nf2", "hp", {"permod": 0}, {"w": 2e-6, "l": 45e-9, "nf": 2, "as": 1e-12, "ad": 2e-12,
                                               "ps": 0.5e-6, "pd": 4e-6}, 27.0),
    _c("hp_permod1_nf2_negative_perimeter", "hp", {}, {"w": 2e-6, "l": 45e-9, "nf": 2, "as": 1e-12,
                                                        "ad": 0.0, "ps": 0.5e-6, "pd": 1.5e-6}, 27.0),
    _c("hp_no_area_no_perimeter", "hp", {"jss": 0.0, "jsws": 0.0, "jswgs": 0.0},
       dict(W1, **{"as": 0.0, "ad": 0.0, "ps": 0.0, "pd": 0.0}), 85.0),
    _c("hp_zero_densities", "hp", {"jss": 0.0, "jsws": 0.0, "jswgs": 0.0, "jsd": 0.0, "jswd": 0.0, "jswgd": 0.0},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0),
    # ---- layout: GEOMOD, NF, MIN, DMCG, DMCI, DMDG, DMCGT (areas and perimeters)
    _c("geo0_nf1", "hp", dict(GEO, geomod=0), W1, 27.0),
    _c("geo1_nf4_min1", "hp", dict(GEO, geomod=1), {"w": 2.4e-6, "l": 45e-9, "nf": 4, "min": 1}, 85.0),
    _c("geo2_nf2", "lp", dict(GEO), {"w": 2e-6, "l": 45e-9, "nf": 2, "geomod": 2}, 27.0),
    _c("geo4_nf3", "hp", dict(GEO, geomod=4), {"w": 3e-6, "l": 45e-9, "nf": 3}, 27.0),
    _c("geo5_nf2_min1", "hp", dict(GEO, geomod=5), {"w": 2e-6, "l": 45e-9, "nf": 2, "min": 1}, 27.0),
    _c("geo6_nf2", "lp", dict(GEO, geomod=6), {"w": 2e-6, "l": 45e-9, "nf": 2}, 27.0),
    _c("geo7_nf3", "lp", dict(GEO, geomod=7), {"w": 1.5e-6, "l": 45e-9, "nf": 3}, 85.0),
    _c("geo8_nf1", "hp", dict(GEO, geomod=8), W1, 27.0),
    _c("geo9_nf4", "hp", dict(GEO, geomod=9), {"w": 4e-6, "l": 45e-9, "nf": 4}, 27.0),
    _c("geo10_nf2_min1", "hp", dict(GEO), {"w": 2e-6, "l": 45e-9, "nf": 2, "geomod": 10, "min": 1}, 27.0),
    _c("geo3_dwj_xw", "hp", dict(GEO, geomod=3, dwj=4e-9, xw=6e-9), {"w": 1.2e-6, "l": 45e-9, "nf": 2}, 27.0),
    # ---- diode models, breakdown, limiting, temperature
    _c("diomod0_breakdown", "hp", {"diomod": 0, "bvs": 3.0, "xjbvs": 0.5, "bvd": 2.8, "xjbvd": 2.0},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP_BREAKDOWN),
    _c("diomod0_no_breakdown", "lp", {"diomod": 0, "bvs": 3.0, "xjbvs": 0.0, "xjbvd": -1.0, "bvd": 3.0},
       W1, 85.0, SWEEP_BREAKDOWN),
    _c("diomod1_limits", "hp", {"diomod": 1, "ijthsfwd": 3e-7, "ijthdfwd": 1e-6, "jss": 1e3, "jsd": 1e3},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP),
    _c("diomod2_limits", "hp", {"diomod": 2, "bvs": 3.0, "xjbvs": 0.37, "ijthsrev": 2e-7, "ijthsfwd": 3e-7,
                                "bvd": 2.6, "xjbvd": 1.5, "ijthdrev": 5e-7, "ijthdfwd": 1e-6, "jss": 1e3,
                                "jsd": 1e3},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP_BREAKDOWN + SWEEP),
    _c("diomod2_small_bv", "hp", {"diomod": 2, "bvs": 0.2, "ijthsrev": 2e-7, "ijthsfwd": 3e-7, "bvd": 0.3,
                                  "jss": 1e3, "jsd": 1e3},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0,
       ((0.0, -3.0, 0.0, -1.0), (0.0, -3.0, 0.0, -0.3), (0.0, -3.0, 0.0, -0.1), (0.0, -3.0, 0.0, 0.1),
        (0.0, -3.0, 0.0, 0.15), (0.0, -3.0, 0.0, 0.3))),
    _c("diomod2_reverse_limit_below_is", "lp", {"diomod": 2, "bvs": 3.0, "ijthsrev": 5e-10, "ijthdrev": 9e-9,
                                                "ijthsfwd": 0.0, "bvd": -1.0, "jss": 1e3, "jsd": 1e3},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP_BREAKDOWN),
    _c("temperature_coefficients_cold", "hp", {"njs": 1.3, "njd": 0.9, "xtis": 2.0, "xtid": 4.5, "tnom": 50.0},
       dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), -20.0, SWEEP),
    _c("temperature_coefficients_hot_v48", "hp", {"version": "4.8", "njs": 1.3, "njd": 0.9, "xtis": 2.0,
                                                  "xtid": 4.5, "tempmod": 1, "at": 0.0},
       dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 85.0, SWEEP),
    # ---- trap-assisted tunnelling
    _c("tat_v40_85", "hp", TAT, dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 85.0),
    _c("tat_v45_jtweff_ignored_27", "lp", dict(TAT, jtweff=0.3e-6), W1, 27.0),
    _c("tat_v48_drain_factors_85", "hp", dict(TAT, **TAT_DRAIN_46, version="4.8"),
       dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 85.0),
    _c("mtrlmod1_band_gap_v465_85", "hp", dict(TAT, version="4.6.5", mtrlmod=1, bg0sub=1.12, tbgasub=6e-4,
                                               tbgbsub=900.0, at=0.0),
       dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 85.0),
    _c("tat_v465_small_vts", "hp", {"version": "4.6.5", "jss": 0.0, "jsws": 0.0, "jswgs": 0.0, "jtss": 1e3,
                                    "vtss": 0.01, "njts": 20.0},
       dict(W1, **{"as": 1e-12, "ad": 2e-12, "ps": 3e-6, "pd": 4e-6}), 27.0,
       ((0.0, -3.0, 0.0, 0.0095), (0.0, -3.0, 0.0, 0.00999), (0.0, -3.0, 0.0, 0.009999), (0.0, -3.0, 0.0, 0.02),
        (0.0, -3.0, 0.0, -0.5))),
    # ---- diffusion resistances (RDSMOD = 0)
    _c("nrs_nrd", "hp", {"rsh": 200.0, "jss": 1e3, "jsd": 2e3},
       dict(W1, nrs=3.0, nrd=5.0, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP),
    _c("rgeomod1_geo0_nf3", "hp", dict(GEO, rsh=300.0, geomod=0, jss=1e3, jsd=1e3),
       {"w": 3e-6, "l": 45e-9, "nf": 3, "rgeomod": 1}, 85.0, SWEEP),
    _c("rgeomod1_geo4_nf2", "hp", dict(GEO, rsh=300.0, geomod=4, jss=1e3, jsd=1e3),
       {"w": 2e-6, "l": 45e-9, "nf": 2, "rgeomod": 1}, 27.0, SWEEP),
    _c("rgeomod1_geo5_nf2_no_drain_resistance", "lp", dict(GEO, rsh=300.0, geomod=5, jss=1e3, jsd=1e3),
       {"w": 2e-6, "l": 45e-9, "nf": 2, "rgeomod": 1}, 27.0, SWEEP),
    _c("card_rgeomod1_geo9_nrd_given", "hp", dict(GEO, rsh=300.0, geomod=9, rgeomod=1, jss=1e3, jsd=1e3),
       {"w": 4e-6, "l": 45e-9, "nf": 4, "nrd": 2.0}, 27.0, SWEEP),
    # ---- RDSMOD = 1
    _c("rdsmod1_symmetric_27", "hp", dict(_SYM, rdsmod=1, prwg=0.5, prwb=0.3, rsw=300.0, rdw=300.0, rswmin=20.0,
                                          rdwmin=20.0, wr=0.9, rsh=50.0, geomod=3),
       {"w": 2e-6, "l": 45e-9, "nf": 2, "nrs": 2.0, "nrd": 2.0, "as": 1e-12, "ad": 1e-12, "ps": 3e-6,
        "pd": 3e-6}, 27.0, SWEEP_SYMMETRIC),
    _c("rdsmod1_symmetric_85_tempmod0", "lp", dict(_SYM, rdsmod=1, prwg=2.0, prwb=1.5, ngate=3e21, prt=40.0,
                                                   rsw=200.0, rdw=200.0, rswmin=30.0, rdwmin=30.0, geomod=0),
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 85.0, SWEEP_SYMMETRIC),
    _c("rdsmod1_symmetric_85_tempmod1_v48", "hp", dict(_SYM, version="4.8", tempmod=1, at=0.0, rdsmod=1,
                                                       prwg=0.4, prwb=0.2, ngate=0.0, prt=0.01, rsw=200.0,
                                                       rdw=200.0, rswmin=30.0, rdwmin=30.0, geomod=0),
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 85.0, SWEEP_SYMMETRIC),
    _c("rdsmod1_channel_off_no_diffusion", "hp", {"rdsmod": 1, "prwb": 0.3, "rsw": 3e3, "rdw": 5e3,
                                                  "jss": 1e3, "jsd": 2e3},
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP),
    _c("rdsmod1_series_v40", "hp", {"rdsmod": 1, "prwg": 0.3, "prwb": 0.2, "rdw": 300.0, "rswmin": 20.0,
                                    "rdwmin": 7.0, "wr": 0.9},
       {"w": 2.2e-6, "l": 45e-9, "nf": 2, "nrs": 1.5}, 27.0, SWEEP_CHANNEL, kind="series"),
    _c("rdsmod1_series_v48_85", "hp", {"version": "4.8", "rdsmod": 1, "prwg": 0.3, "prwb": 0.2, "rdw": 300.0,
                                       "rswmin": 20.0, "rdwmin": 7.0, "prt": 40.0, "ngate": 5e19, "at": 0.0,
                                       "vfbsdoff": 0.05},
       {"w": 2.2e-6, "l": 45e-9, "nf": 2}, 85.0, SWEEP_CHANNEL, kind="series"),
    # ---- substrate network
    _c("rbodymod1_card", "hp", dict(_SYM, rbodymod=1, gbmin=1e-6),
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP),
    _c("rbodymod1_instance", "lp", dict(rbodymod=1, jss=10.0, jsd=20.0, gbmin=1e-4),
       dict(W1, rbpb=3e3, rbps=1e3, rbpd=2e3, rbsb=5e3, rbdb=4e3,
            **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP),
    _c("rbodymod1_tiny_resistors", "hp", dict(rbodymod=1, jss=10.0, jsd=20.0, gbmin=1e-4),
       dict(W1, rbpb=1e-5, rbps=1e-4, rbpd=2e3, rbsb=9e-4, rbdb=1e-3,
            **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP),
    _c("rbodymod2_five", "hp", dict(version="4.8", rbodymod=2, jss=10.0, jsd=20.0, rbps0=1e3, rbpsl=0.3,
                                    rbpsw=0.2, rbpsnf=0.1, rbpd0=2e3, rbpdl=0.15, rbpdw=-0.2, rbpdnf=0.4,
                                    rbpbx0=3e3, rbpbxl=0.2, rbpbxw=0.3, rbpbxnf=0.5, rbpby0=4e3, rbpbyl=-0.1,
                                    rbpbyw=0.25, rbpbynf=0.05, rbsbx0=5e3, rbsby0=6e3, rbdbx0=7e3, rbdby0=8e3,
                                    rbsdbxl=0.1, rbsdbxw=0.2, rbsdbxnf=0.3, rbsdbyl=0.4, rbsdbyw=0.5,
                                    rbsdbynf=0.6, xl=-20e-9, xw=7e-9),
       {"w": 2e-6, "l": 90e-9, "nf": 2, "as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}, 27.0, SWEEP),
    _c("rbodymod2_three", "lp", dict(rbodymod=2, jss=10.0, jsd=20.0, rbps0=1e3, rbpd0=2e3, rbpbx0=3e3,
                                     rbpby0=4e3, rbdbx0=7e3, rbdby0=8e3, gbmin=1e-6),
       {"w": 2e-6, "l": 90e-9, "nf": 2, "as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}, 27.0, SWEEP),
    _c("rbodymod2_half_pair_uses_default", "hp", dict(rbodymod=2, jss=10.0, jsd=20.0, rbps0=1e3, rbpd0=2e3,
                                                      rbsbx0=5e3, rbdby0=8e3, gbmin=1e-9),
       {"w": 1e-6, "l": 45e-9, "as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}, 85.0, SWEEP),
    # ngspice does not converge at RELTOL = 1e-12 with the 1e3 S branches of the 1-R network
    _c("rbodymod2_one", "hp", dict(version="4.7", rbodymod=2, jss=10.0, jsd=20.0, rbpd0=2e3, rbpbx0=3e3,
                                   rbpby0=4e3, gbmin=1e-6),
       {"w": 2e-6, "l": 90e-9, "nf": 1, "as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}, 27.0, SWEEP,
       reltol=1e-9),
    _c("rbodymod1_rdsmod1_symmetric", "hp", dict(_SYM, rbodymod=1, rbpb=300.0, rbps=100.0, rbpd=100.0,
                                                 rbsb=500.0, rbdb=500.0, rdsmod=1, prwb=0.3, prwg=0.2,
                                                 rsw=300.0, rdw=300.0, geomod=3),
       dict(W1, **{"as": 1e-12, "ad": 1e-12, "ps": 3e-6, "pd": 3e-6}), 27.0, SWEEP_SYMMETRIC),
    # ---- gate electrode resistance
    _c("rgatemod1_plain", "hp", {"igcmod": 1, "rgatemod": 1, "rshg": 1e3}, W1, 27.0, SWEEP_GATE, kind="gate"),
    _c("rgatemod1_layout", "hp", {"igcmod": 1, "rgatemod": 1, "rshg": 1e3, "xgw": 1e-7, "xgl": 5e-9, "ngcon": 2},
       {"w": 2e-6, "l": 90e-9, "nf": 2}, 27.0, SWEEP_GATE, kind="gate"),
    _c("rgatemod1_dwj_instance_xgw", "lp", {"igcmod": 1, "rgatemod": 1, "rshg": 1e3, "dwj": 3e-9},
       {"w": 2e-6, "l": 90e-9, "nf": 3, "xgw": 2e-7}, 85.0, SWEEP_GATE, kind="gate"),
)


def get_case(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(f"no validation case {name!r}")


def _value_text(value) -> str:
    return value if isinstance(value, str) else repr(float(value))


def card_text(case: Case) -> str:
    """The NMOS card of ``case``: the published card with :data:`QUIET` and the case's overrides."""
    with open(CARDS[case.card]) as fh:
        text = fh.read()
    match = re.search(r"(?ims)^\s*\.model\s+nmos\s.*?(?=^\s*\.model|\Z)", text)
    card = match.group(0)
    overrides = dict(QUIET)
    overrides.update(case.overrides)
    for name in overrides:
        card, _n = re.subn(rf"(?i)(?<![a-z0-9_]){name}\s*=\s*\S+", "", card)
    extra = " ".join(f"{k}={_value_text(v)}" for k, v in overrides.items())
    return card.rstrip() + "\n+ " + extra + "\n"


def instance_text(case: Case) -> str:
    return " ".join(f"{k.upper()}={float(v)!r}" for k, v in case.instance.items())


def netlist(case: Case) -> str:
    """ngspice deck: one copy of the device per bias point, all solved by one ``op``.

    Copies rather than ``alter`` sweeps: each point then starts from ngspice's usual initial
    guess.  (Stepping from the previous point's solution, ngspice sometimes fails its direct
    Newton iteration at RELTOL = 1e-12 and ends through gmin and source stepping with the last
    gmin, 1e-12 S, still in place from every internal node to ground; measured with RBODYMOD = 2.)
    :func:`needed_stepping` tells a run that needed stepping anyway.
    """
    lines = [f"* bsim4 junction validation: {case.name}", card_text(case).rstrip()]
    inst = instance_text(case)
    for k, (vd, vg, vs, vb) in enumerate(case.biases):
        lines += [f"Vd{k} d{k} 0 DC {float(vd)!r}", f"Vg{k} g{k} 0 DC {float(vg)!r}",
                  f"Vs{k} s{k} 0 DC {float(vs)!r}", f"Vb{k} b{k} 0 DC {float(vb)!r}",
                  f"M{k} d{k} g{k} s{k} b{k} nmos {inst}"]
    saves = " ".join(f"@m{k}[{q}]" for k in range(len(case.biases)) for q in ("vgs", "vds", "vbs"))
    lines += [f".options reltol={case.reltol!r} abstol=1e-20 vntol=1e-15 gmin={case.gmin!r} "
              f"temp={case.temperature!r}",
              ".control", "set filetype=binary", f"save all {saves}", "op", "write out.raw", "quit", ".endc", ".end"]
    return "\n".join(lines) + "\n"


def needed_stepping(log: str) -> bool:
    """Whether ngspice reached the operating point only through gmin or source stepping.

    Such a solution can keep the last stepping conductance, GMIN, from every internal node to
    ground (measured: KCL residuals of GMIN·V at the internal nodes of RBODYMOD = 2); the
    comparison widens its tolerance by that much (:func:`.compare.stepping_floor`).
    """
    return "stepping" in log.lower()


REFERENCE = os.path.join(HERE, "reference.json")


def load_reference(path: str = REFERENCE) -> dict:
    with open(path) as fh:
        return json.load(fh)
