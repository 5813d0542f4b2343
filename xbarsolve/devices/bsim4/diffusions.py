"""Source and drain diffusions of a (multi-finger) BSIM4 device: junction areas, perimeters and
diffusion resistances (BSIM4.8.0 manual, chapter 12, "Layout-dependent parasitics").

The manual defines the geometry (figure 12.1, tables 12.1 and 12.2) but gives no equations for
the areas, perimeters and resistances it computes when AS, PS, NRS ... are not given ("computed
from NF, DWJ, geoMod, DMCG, DMCI, DMDG, DMCGT and MIN").  Everything below was therefore
*measured* black-box in ngspice 39 (saturation currents of single diode components for areas and
perimeters; internal node voltages for resistances; every GEOMOD 0-10, NF 1-8, MIN 0/1, with
distinct DMCG, DMCI, DMDG, DMCGT) and written as the layout arithmetic it reveals.  It holds for
every BSIM4 version ngspice 39 runs (4.0 ... 4.8).

Diffusions
----------
A device of NF fingers has NF + 1 diffusions: two *end* diffusions and NF - 1 *internal* ones,
each shared by two fingers.  Odd NF: one end is a source, the other a drain, and each side has
(NF - 1)/2 internal diffusions.  Even NF: both ends are sources when MIN = 0 (NF/2 - 1 internal
sources, NF/2 internal drains), both drains when MIN = 1.  GEOMOD (table 12.1) says how each end is
connected: *isolated* (contact, isolation edge beyond it), *shared* (contact shared with a
neighbouring device) or *merged* (no contact; merged with a neighbour's diffusion).  GEOMOD 9 and
10 are even-NF layouts whose two source (9) or drain (10) ends are one shared and one isolated
(MIN has no effect on them); ngspice accepts them with odd NF too, where its results follow no
layout, so that combination is refused here.

Per finger width ``Wcj`` (Weffcj), with ``Dg = DMCG − DMCGT``:

============  ========================  ===================================
diffusion     area                      perimeter (gate edge excluded)
============  ========================  ===================================
isolated end  (Dg + DMCI) · Wcj         2 · (Dg + DMCI) + Wcj
shared end    Dg · Wcj                  2 · Dg
merged end    (DMDG − DMCGT) · Wcj      2 · (DMDG − DMCGT)
internal      2 · Dg · Wcj              4 · Dg
============  ========================  ===================================

A side's area and perimeter are the sums over its diffusions.  Given AS (AD) replaces the area;
given PS (PD) replaces the perimeter, less the gate edge ``Wcj · NF`` when PERMOD = 1 (no
clipping: a PS below the gate edge gives a negative perimeter, as in ngspice).

Diffusion resistance (external Rs, Rd)
--------------------------------------
Given NRS (NRD): ``RSH · NRS``.  Otherwise none when RGEOMOD = 0.  ngspice 39 implements only
RGEOMOD = 1 (wide contacts at both ends, table 12.2): an instance RGEOMOD of 2 ... 8 is replaced,
with a warning, by the card's (itself 1 when the card gives any non-zero RGEOMOD), so RGEOMOD 2 ...
8 are refused here rather than silently changed.  With RGEOMOD = 1 every finger-side of a
contacted diffusion conducts ``Wcj / (RSH · Dg)`` (an internal diffusion feeds two fingers, an
isolated or shared end one; DMCI does not enter), and a merged end conducts
``Wcj / (RSH · (DMDG − DMCGT))``; the side's resistance is the inverse of the sum.  Two ngspice
particularities are reproduced as measured: with GEOMOD 4, 6, 8 a merged side always gets exactly
one merged-end term, whatever its number of ends (also none or two, for even NF); with GEOMOD 5, 7
a merged side gets one term per end, and *no end at all gives no resistance* (Rd = 0 for GEOMOD 5,
even NF, MIN = 0).  A zero resistance means no resistor (the nodes are one).
"""
from __future__ import annotations

import dataclasses

__all__ = ["Diffusions", "END_KINDS", "finger_diffusions", "junction_area_perimeter",
           "effective_area_perimeter", "effective_rgeomod", "diffusion_resistance"]

#: (source end, drain end) connection of GEOMOD 0 ... 10 (manual table 12.1); "shared+isolated"
#: is GEOMOD 9/10's pair of ends, one of each kind.
END_KINDS = {0: ("isolated", "isolated"), 1: ("isolated", "shared"), 2: ("shared", "isolated"),
             3: ("shared", "shared"), 4: ("isolated", "merged"), 5: ("shared", "merged"),
             6: ("merged", "isolated"), 7: ("merged", "shared"), 8: ("merged", "merged"),
             9: ("shared+isolated", "shared"), 10: ("shared", "shared+isolated")}
_MERGED_SINGLE_TERM = (4, 6, 8)   # GEOMODs whose merged side gets one merged-end term, always


@dataclasses.dataclass(frozen=True)
class Diffusions:
    """The source or the drain diffusions of one device.

    ends : kinds of this side's end diffusions ("isolated", "shared" or "merged"), 0 to 2 of them.
    internal : number of internal diffusions (each shared by two fingers).
    kind : this side's end kind from GEOMOD (also when the side has no end).
    """
    ends: tuple
    internal: int
    kind: str


def _as_int(value, name: str, allowed=None) -> int:
    v = float(value)
    if v != int(v) or (allowed is not None and int(v) not in allowed):
        want = f"one of {sorted(allowed)}" if allowed is not None else "an integer"
        raise ValueError(f"{name} = {value!r} must be {want}")
    return int(v)


def finger_diffusions(nf, geomod, minimize_source=0) -> tuple:
    """(source, drain) :class:`Diffusions` of a device with ``nf`` fingers (NF, GEOMOD, MIN).

    Raises ValueError for NF < 1 or not an integer, GEOMOD outside 0 ... 10, MIN not 0/1, and
    GEOMOD 9 or 10 with odd NF (they describe even-finger layouts, manual table 12.1).
    """
    n = _as_int(nf, "NF")
    if n < 1:
        raise ValueError(f"NF = {nf!r} must be at least 1")
    g = _as_int(geomod, "GEOMOD", range(11))
    mn = _as_int(minimize_source, "MIN", (0, 1))
    kind_s, kind_d = END_KINDS[g]
    if n % 2 == 1:
        if g in (9, 10):
            raise ValueError(f"GEOMOD = {g} describes an even number of fingers (manual table 12.1); "
                             f"NF = {n} is odd")
        half = (n - 1) // 2
        return Diffusions((kind_s,), half, kind_s), Diffusions((kind_d,), half, kind_d)
    half = n // 2
    if g == 9:
        return (Diffusions(("shared", "isolated"), half - 1, kind_s), Diffusions((), half, kind_d))
    if g == 10:
        return (Diffusions((), half, kind_s), Diffusions(("shared", "isolated"), half - 1, kind_d))
    if mn == 0:   # both ends are sources: the drain diffusions are the fewer
        return Diffusions((kind_s, kind_s), half - 1, kind_s), Diffusions((), half, kind_d)
    return Diffusions((), half, kind_s), Diffusions((kind_d, kind_d), half - 1, kind_d)


def junction_area_perimeter(side: Diffusions, weffcj: float, dmcg: float, dmci: float, dmdg: float,
                            dmcgt: float) -> tuple:
    """(area m², perimeter m) of one side's diffusions computed from the layout (table above).

    ``weffcj``: effective diffusion width per finger (m); DMCG, DMCI, DMDG, DMCGT in m.  The
    perimeter excludes the gate edge.
    """
    dg = dmcg - dmcgt
    dm = dmdg - dmcgt
    area = 2.0 * dg * weffcj * side.internal
    perimeter = 4.0 * dg * side.internal
    for kind in side.ends:
        if kind == "isolated":
            area += (dg + dmci) * weffcj
            perimeter += 2.0 * (dg + dmci) + weffcj
        elif kind == "shared":
            area += dg * weffcj
            perimeter += 2.0 * dg
        else:  # merged
            area += dm * weffcj
            perimeter += 2.0 * dm
    return area, perimeter


def effective_area_perimeter(side: Diffusions, *, area_given, perimeter_given, permod, weffcj: float,
                             nf: float, dmcg: float, dmci: float, dmdg: float, dmcgt: float) -> tuple:
    """(Aeff m², Peff m) of one junction: AS/PS (AD/PD) when given, else the layout's.

    ``area_given``, ``perimeter_given``: the instance's AS/PS (m², m) or None when not given.
    PERMOD = 1: a given perimeter includes the gate edge ``weffcj · nf``, which is taken off.
    """
    area, perimeter = junction_area_perimeter(side, weffcj, dmcg, dmci, dmdg, dmcgt)
    if area_given is not None:
        area = float(area_given)
    if perimeter_given is not None:
        perimeter = float(perimeter_given)
        if int(permod) == 1:
            perimeter -= weffcj * nf
    return area, perimeter


def effective_rgeomod(card_rgeomod, instance_rgeomod) -> int:
    """The RGEOMOD ngspice 39 runs: the instance's when given and 0 or 1, else the card's as 0/1.

    Measured: a card RGEOMOD of 1 ... 8 acts as 1; an instance RGEOMOD of 2 ... 8 is replaced (with
    a warning) by that.  Refused here (ValueError): an instance value of 2 ... 8, which ngspice would
    silently not honour.
    """
    if instance_rgeomod is not None:
        r = _as_int(instance_rgeomod, "RGEOMOD", range(9))
        if r > 1:
            raise ValueError(f"RGEOMOD = {r} (point or merged contacts, manual table 12.2) is not "
                             "implemented by ngspice 39, which replaces it by the card's RGEOMOD with a "
                             "warning; give RGEOMOD = 0 or 1")
        return r
    return 1 if _as_int(card_rgeomod, "RGEOMOD", range(9)) != 0 else 0


def diffusion_resistance(side: Diffusions, *, squares_given, rsh: float, rgeomod: int, geomod: int,
                         weffcj: float, dmcg: float, dmdg: float, dmcgt: float) -> float:
    """Diffusion resistance of one side (Ω): RSH·NRS when NRS is given, else from the layout.

    ``squares_given``: NRS (NRD) or None; ``rgeomod``: :func:`effective_rgeomod`'s value (0: no
    resistance).  0.0 means no resistor.  See the module docstring for the layout rule.
    """
    if squares_given is not None:
        return rsh * float(squares_given)
    if rgeomod == 0 or rsh == 0.0:
        return 0.0
    dg = dmcg - dmcgt
    contacted = 2 * side.internal + sum(1 for k in side.ends if k != "merged")
    if contacted and dg == 0.0:
        return 0.0
    conductance = contacted * weffcj / (rsh * dg) if contacted else 0.0
    if side.kind == "merged":
        merged_ends = 1 if geomod in _MERGED_SINGLE_TERM else len(side.ends)
        if merged_ends == 0:
            return 0.0   # ngspice: a merged side without an end has no resistance (GEOMOD 5, 7)
        dm = dmdg - dmcgt
        if dm == 0.0:
            return 0.0
        conductance += merged_ends * weffcj / (rsh * dm)
    return 1.0 / conductance
