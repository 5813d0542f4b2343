"""Full-device validation of :class:`~xbarsolve.devices.Bsim4NMOS` against ngspice 39.

Every case is one NMOS instance of a published PTM 45 nm card (``validation/cards``) *as
written* -- every DC effect the card switches on -- or with a few parameters changed to reach a
branch the cards do not use, at random bias points (V_D, V_S in −0.5…1.0 V, V_G in 0…1.4 V,
V_B in −0.3…0 V; a fixed seed per case).  Compared: the four terminal currents, drain, gate,
source and body (A), from ngspice's ``op`` and from the element's sub-circuit solve.

The decks, ngspice runs and rounding floors are those of the junction validation
(:mod:`validation.bsim4_junction`), with the card's own gate and body currents on
(``quiet=False``).

Tolerance, per current: max(RTOL·|reference|, ATOL, ngspice's rounding floor).  RTOL = 1e-8 for
drain and source currents and 1e-6 for gate and body currents, ATOL = 2e-15 A: two to three
orders tighter than the issue's 1e-6 / 1e-15 A on the column currents, so that a regression shows
(measured: ≤ 3e-9 and ≤ 1.5e-7).  The rounding floor covers what ngspice's node-voltage
formulation cannot resolve: a current through a small resistance R from a node at |V| carries
~eps·|V|/R of rounding (the gate current through RGATEMOD's 0.3-10 Ω).
"""
from __future__ import annotations

import numpy as np

from validation.bsim4_junction.cases import Case

RTOL = {"d": 1e-8, "g": 1e-6, "s": 1e-8, "b": 1e-6}
ATOL = 2e-15


def _biases(seed: int, n: int = 24) -> tuple:
    rng = np.random.default_rng(seed)
    b = np.column_stack([rng.uniform(-0.5, 1.0, n), rng.uniform(0.0, 1.4, n),
                         rng.uniform(-0.5, 0.5, n), rng.uniform(-0.3, 0.0, n)])
    return tuple(tuple(round(float(x), 6) for x in row) for row in b)


def _case(name, card, overrides=None, instance=None, temperature=27.0, seed=0, n=24, **kw) -> Case:
    inst = {"w": 1e-6, "l": 45e-9}
    inst.update(instance or {})
    return Case(name=name, card=card, overrides=dict(overrides or {}), instance=inst,
                temperature=temperature, biases=_biases(seed, n), kind="device", quiet=False, **kw)


#: the published cards as written, at both temperatures and three widths
PUBLISHED = tuple(
    _case(f"{card}_{int(t)}C_w{w_name}", card, instance={"w": w}, temperature=t, seed=s, n=40)
    for s, (card, t, (w_name, w)) in enumerate(
        (c, t, wv) for c in ("hp", "lp") for t in (27.0, 85.0)
        for wv in (("90n", 90e-9), ("1u", 1e-6), ("4u", 4e-6))))

#: branches the published cards do not take (HP card at 27 °C unless named)
VARIANTS = (
    _case("hp_v48", "hp", {"version": "4.8"}, seed=101),
    _case("hp_v48_85C", "hp", {"version": "4.8"}, temperature=85.0, seed=102),
    _case("lp_v48", "lp", {"version": "4.8"}, seed=103),
    _case("hp_rdsmod1", "hp", {"rdsmod": 1}, seed=104),
    _case("hp_rdsmod1_nrs", "hp", {"rdsmod": 1}, {"nrs": 1.0, "nrd": 1.0}, temperature=85.0, seed=105),
    _case("hp_nrs_nrd", "hp", {}, {"nrs": 1.0, "nrd": 2.0}, seed=106),
    _case("hp_nf3_m2", "hp", {}, {"w": 3e-6, "nf": 3, "m": 2}, seed=107),
    _case("hp_mobmod1", "hp", {"mobmod": 1}, seed=108),
    _case("hp_mobmod2", "hp", {"mobmod": 2}, seed=109),
    _case("hp_v48_mobmod4_ud", "hp", {"version": "4.8", "mobmod": 4, "ud": 1e14}, seed=110),
    _case("hp_v48_mobmod5", "hp", {"version": "4.8", "mobmod": 5}, seed=111),
    _case("hp_v48_mobmod6", "hp", {"version": "4.8", "mobmod": 6}, seed=112),
    _case("hp_ud", "hp", {"ud": 1e15}, seed=113),
    _case("hp_up_lp", "hp", {"up": 0.5, "lp": 2e-8}, seed=114),
    _case("hp_a1_pos", "hp", {"a1": 0.05}, seed=115),
    _case("hp_a1_neg", "hp", {"a1": -0.05, "a2": 0.9}, seed=116),
    _case("hp_narrow_width", "hp", {"k3": 20.0, "k3b": 2.0, "w0": 1e-7, "dvt0w": 0.5, "dvt1w": 5.3e6,
                                    "dvt2w": -0.03}, {"w": 200e-9}, seed=117),
    _case("hp_lpe", "hp", {"lpe0": 1e-8, "lpeb": 2e-8}, seed=118),
    _case("hp_dwg_dwb", "hp", {"dwg": -5e-9, "dwb": 3e-9}, seed=119),
    _case("hp_velocity_overshoot", "hp", {"lambda": 1e-10}, seed=120),
    _case("hp_v48_velocity_overshoot", "hp", {"version": "4.8", "lambda": 1e-10}, seed=121),
    _case("hp_igcmod2", "hp", {"igcmod": 2}, seed=122),
    _case("hp_pigcd_computed", "hp", {"pigcd": None}, seed=123),
    _case("hp_tunnelling_oxide", "hp", {"toxref": 1.5e-9, "ntox": 1.2, "poxedge": 1.1, "dlcig": 5e-9},
          seed=124),
    _case("hp_v48_edge_split", "hp", {"version": "4.8", "aigs": 0.02, "aigd": 0.018, "dlcigd": 2e-9},
          seed=125),
    _case("hp_v48_temperature_terms", "hp", {"version": "4.8", "tvoff": 1e-3, "tnfactor": 0.1,
                                             "teta0": 1e-3}, temperature=85.0, seed=126),
    _case("hp_diomod0", "hp", {"diomod": 0}, seed=127),
    _case("hp_diomod2_geomod0", "hp", {"diomod": 2, "geomod": 0}, seed=128),
    _case("hp_junction_geometry", "hp", {}, {"as": 1e-13, "ad": 2e-13, "ps": 1e-6, "pd": 2e-6}, seed=129),
    _case("hp_no_networks", "hp", {"rgatemod": 0, "rbodymod": 0}, seed=130),
    _case("hp_gidl", "hp", {"egidl": 0.2, "agidl": 2e-3}, seed=131),
)

CASES = PUBLISHED + VARIANTS
