"""SPICE interop: export a crossbar as an ngspice netlist, parse model cards, run ngspice.

Three public functions and one convenience wrapper:

* :func:`to_spice_netlist` -- the exact circuit a :class:`~xbarsolve.Crossbar`
  solves, as ngspice netlist text;
* :func:`parse_model_card` -- a ``.model NAME nmos level=1 ...`` card (or a
  BSIM4 ``level=54`` card, when :mod:`xbarsolve.devices.bsim` exists) to an
  :class:`~xbarsolve.devices.NMOSModel`;
* :func:`run_ngspice` -- run a netlist through ``ngspice -b`` and read its
  operating point(s) back from the binary raw file, with full float64
  precision;
* :func:`ngspice_solve` -- export, run and reshape into the arrays of
  :class:`~xbarsolve.CrossbarSolution` (column currents, node voltages, ...).

Node naming (graph node of :mod:`xbarsolve._topology` → SPICE node)
------------------------------------------------------------------
=====================  ============  ===========================================
graph node             SPICE node    meaning
=====================  ============  ===========================================
``("in", i)``          ``in_i``      row driver i (voltage source ``Vin_i``)
``("out", j)``         ``out_j``     virtual ground of column j (``Vout_j``, 0 V)
``("row", i, j)``      ``r_i_j``     row wire at cell (i, j)
``("col", i, j)``      ``c_i_j``     column wire at cell (i, j)
``("mid", i, j)``      ``m_i_j``     transistor–memristor node of a 1T-1R cell
gate line k            ``g_k``       driven by ``Vg_k`` at ``v_gate[k]``: row k's
                                     line, or column k's (``gate_lines="columns"``)
transistor bodies      ``body``      held at 0 V by ``Vbody`` (which measures the
                                     current the bodies take)
ground                 ``0``
=====================  ============  ===========================================

SPICE is case-insensitive: ngspice reports every name in lower case, which is
how :func:`run_ngspice` returns them.  Every graph node is its own SPICE node,
also where ideal wires merge them in the solver, so every voltage can be
compared one to one.

Elements (``role`` of the graph edge → SPICE element)
-----------------------------------------------------
=============  ==============================================================
role           SPICE element
=============  ==============================================================
``source``     ``Rsrc_i in_i r_i_0 R``   (``Vsrc_i ... 0`` when R = 0)
``row_wire``   ``Rrw_i_j r_i_{j-1} r_i_j R``   (``Vrw_i_j`` when R = 0)
``col_wire``   ``Rcw_i_j c_{i-1}_j c_i_j R``   (``Vcw_i_j`` when R = 0)
``sink``       ``Rsnk_j c_{rows-1}_j out_j R``  (``Vsnk_j`` when R = 0)
``memristor``  linear: ``Rmem_i_j a b 1/G`` (omitted when G = 0, an open
               circuit); sinh: ``Bmem_i_j a b I=G*V0*sinh(V(a,b)/V0)``
``transistor`` ``Mfet_i_j drain g_k source body NAME W=.. L=..`` (k = i, or j when the
               gate lines run along the columns)
=============  ==============================================================

Zero-ohm wires are 0 V voltage sources (exact, not tiny resistors).  Input
currents: ``i(vin_i)`` is the current *into* the source's + terminal, so the
current a driver delivers is ``-i(vin_i)``; the column current (positive from
rows to the virtual ground) is ``+i(vout_j)``; gate driver k delivers ``-i(vg_k)``
and the transistors' bodies take ``-i(vbody)`` in all.

Transistor cards: :class:`~xbarsolve.devices.Level1NMOS` becomes ``.model NAME
nmos level=1`` with exactly VTO KP GAMMA PHI LAMBDA LD IS (W and L on each
instance); its ``gmin`` is SPICE's global ``.options gmin=`` and its
``temperature`` is ``.options temp= tnom=`` (°C; TNOM = TEMP so that ngspice
applies no temperature scaling).  A model with a ``bsim4_model_card(name)``
method (the BSIM-like model) provides its own card text.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

import numpy as np

from .devices import Level1NMOS, LinearMemristor, NMOSModel, Resistor, SinhMemristor
from .devices.bsim4.card import logical_lines as _statements
from .devices.bsim4.card import parse_number as _parse_number

__all__ = ["to_spice_netlist", "parse_model_card", "parse_spice_number", "run_ngspice",
           "ngspice_solve", "ngspice_available", "spice_node_name", "NgspiceError",
           "TRANSISTOR_MODEL_NAME", "RAW_FILE_NAME"]

TRANSISTOR_MODEL_NAME = "xbar_nmos"
RAW_FILE_NAME = "xbarsolve.raw"


class NgspiceError(RuntimeError):
    """ngspice is missing, failed, or did not produce the expected operating points."""


# ----------------------------------------------------------------------------- numbers
def parse_spice_number(text: str) -> float:
    """A SPICE number: ``1e-5``, ``10u``, ``2.5k``, ``1meg``, ``3mil``, ``1uF`` (unit letters ignored).

    Suffixes (case-insensitive): T G MEG K MIL M U N P F; note that ``M`` is
    milli and ``MEG`` mega, as in every SPICE.  Strict: ValueError for
    anything else, for ``1e`` (no exponent digits), for values that overflow
    or underflow a float (``1e400``) and for ``2a`` (atto in HSPICE, an
    ignored unit letter in ngspice).  One reader for all of xbarsolve:
    :func:`xbarsolve.devices.bsim4.card.parse_number`.
    """
    return _parse_number(text)


def _fmt(x: float) -> str:
    """Shortest text that reads back as exactly ``x`` (no engineering suffixes)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot write a non-finite number ({x!r}) into a netlist")
    return repr(x)


# ----------------------------------------------------------------------------- export
def spice_node_name(node) -> str:
    """SPICE node name of a graph node of :mod:`xbarsolve._topology` (see module docstring)."""
    kind = node[0]
    prefix = {"in": "in", "out": "out", "row": "r", "col": "c", "mid": "m"}.get(kind)
    if prefix is None:
        raise ValueError(f"unknown graph node {node!r}")
    return "_".join([prefix] + [str(int(k)) for k in node[1:]])


_ROLE_PREFIX = {"source": "src", "row_wire": "rw", "col_wire": "cw", "sink": "snk",
                "memristor": "mem", "transistor": "fet"}


def _level1_card(model: Level1NMOS, name: str) -> str:
    params = [("vto", model.vto), ("kp", model.kp), ("gamma", model.gamma), ("phi", model.phi),
              ("lambda", model.lambda_), ("ld", model.ld), ("is", model.junction_is)]
    return f".model {name} nmos level=1 " + " ".join(f"{k}={_fmt(v)}" for k, v in params)


def _transistor_card(model: NMOSModel, name: str) -> str:
    if isinstance(model, Level1NMOS):
        return _level1_card(model, name)
    card = getattr(model, "bsim4_model_card", None)
    if callable(card):
        if getattr(model, "junction_is", 0.0) > 0.0:
            warnings.warn(f"{type(model).__name__}.junction_is = {model.junction_is:g} A, but its BSIM4 card "
                          "switches BSIM4's junction diodes off (ngspice keeps only gmin): the exported "
                          "circuit differs by the junction currents; use junction_is=0 for an exact match",
                          UserWarning, stacklevel=3)
        text = card(name).strip()
        if not re.match(rf"(?is)^\s*\.model\s+{re.escape(name)}\s", text):
            raise ValueError(f"{type(model).__name__}.bsim4_model_card({name!r}) did not return a "
                             f"'.model {name} ...' card")
        return text
    raise TypeError(f"no SPICE card for transistor model {type(model).__name__}: "
                              "use Level1NMOS or a model with a bsim4_model_card(name) method")


def _instance_geometry(model: NMOSModel) -> str:
    own = getattr(model, "spice_instance_parameters", None)
    if callable(own):
        return own()
    parts = []
    for attr, key in (("w", "W"), ("l", "L")):
        value = getattr(model, attr, None)
        if value is not None:
            parts.append(f"{key}={_fmt(value)}")
    return " ".join(parts)


def _kelvin_to_celsius(kelvin: float) -> float:
    """K → °C in decimal arithmetic (300.15 K → exactly 27.0), rounded once."""
    return float(Decimal(repr(float(kelvin))) - Decimal("273.15"))


def _celsius_to_kelvin(celsius: float) -> float:
    """°C → K in decimal arithmetic (27 → exactly 300.15), rounded once."""
    return float(Decimal(repr(float(celsius))) + Decimal("273.15"))


def _option_text(key: str, value) -> str:
    """``key=value`` of an ``.options`` line; ``None``/``True`` give the bare flag."""
    if value is None or value is True:
        return key
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{key}={int(value)}"
    if isinstance(value, str):
        return f"{key}={value}"
    return f"{key}={_fmt(value)}"


def _check_v_in(crossbar, v_in) -> np.ndarray:
    v, _ = crossbar.check_inputs(v_in)
    return v


def _spice_options(crossbar, options) -> dict:
    """The ``.options`` of an exported netlist: solver tolerances, transistor gmin/temperature, extras."""
    newton = crossbar.options
    opts = {"reltol": newton.reltol, "abstol": newton.abstol, "vntol": newton.vntol}
    if crossbar.cell == "1t1r":
        t = crossbar.transistor
        opts["gmin"] = t.gmin
        celsius = _kelvin_to_celsius(t.temperature)
        opts["temp"] = celsius
        opts["tnom"] = celsius
    for key, value in (options or {}).items():
        opts[str(key).lower()] = value
    return opts


def to_spice_netlist(crossbar, v_in, *, title: str | None = None, options: Mapping | None = None,
                     raw_file: str = RAW_FILE_NAME) -> str:
    """The circuit of ``crossbar`` driven by ``v_in`` (V), as ngspice netlist text.

    Parameters
    ----------
    crossbar : Crossbar
        The crossbar; its circuit graph is translated element by element (see
        the module docstring for node and element names).
    v_in : array (rows,) or (batch, rows), V
        Row input voltages.  One vector gives a portable netlist ending in
        ``.op``.  Several vectors give an ngspice netlist whose ``.control``
        block runs one ``op`` per vector (``alter``-ing the ``Vin_i``
        sources) and writes every operating point to ``raw_file``
        (appending, binary), which :func:`run_ngspice` reads back.
    title : str
        First line of the netlist (SPICE ignores it); a summary by default.
    options : mapping
        ``.options`` to add or override.  By default the netlist carries the
        crossbar's Newton tolerances (``reltol``, ``abstol`` (A), ``vntol``
        (V): the same names and meaning in SPICE), the transistor's ``gmin``
        (S) and its temperature as ``temp``/``tnom`` (°C).  A value of
        ``None`` writes the bare flag (e.g. ``{"acct": None}``).
    raw_file : str
        Raw file written by the ``.control`` block of a batch netlist.

    Returns
    -------
    str
        The netlist, ending in ``.end`` and a newline.
    """
    v = _check_v_in(crossbar, v_in)
    rows, cols = crossbar.shape
    graph = crossbar.graph
    has_fet = crossbar.cell == "1t1r"
    by_columns = has_fet and crossbar.gate_lines == "columns"
    if title is None:
        side = f", transistor on the {crossbar.transistor_side} side" if has_fet else ""
        side += ", gate lines along the columns" if by_columns else ""
        title = (f"xbarsolve crossbar {rows}x{cols}, {crossbar.cell} cells{side}, "
                 f"memristor {type(crossbar.memristor).__name__}")
    title = " ".join(str(title).split()) or "xbarsolve crossbar"
    gate = "g_j gate line of column j" if by_columns else "g_i gate line of row i"
    lines = [title,
             "* exported by xbarsolve.spice.to_spice_netlist",
             "* nodes: in_i row driver, out_j column virtual ground, r_i_j / c_i_j row / column wire",
             f"*        at cell (i,j), m_i_j transistor-memristor node, {gate}, body bodies",
             "* currents: driver i delivers -i(vin_i); column j collects +i(vout_j)",
             "*           gate driver k delivers -i(vg_k); the bodies take -i(vbody)",
             "* drivers, virtual grounds, gate lines"]
    for i in range(rows):
        lines.append(f"Vin_{i} in_{i} 0 DC {_fmt(v[0, i])}")
    for j in range(cols):
        lines.append(f"Vout_{j} out_{j} 0 DC 0")
    if has_fet:
        for k, vg in enumerate(crossbar.v_gate):  # one source per gate line (row or column)
            lines.append(f"Vg_{k} g_{k} 0 DC {_fmt(vg)}")
        lines.append("Vbody body 0 DC 0")

    sections = {role: [] for role in _ROLE_PREFIX}
    geometry = _instance_geometry(crossbar.transistor) if has_fet else ""
    for a, b, data in graph.edges(data=True):
        role = data["role"]
        idx = "_".join(str(int(k)) for k in data["index"])
        name = f"{_ROLE_PREFIX[role]}_{idx}"
        na, nb = spice_node_name(a), spice_node_name(b)
        model = data["model"]
        values = data["values"]
        if model is None:
            sections[role].append(f"V{name} {na} {nb} DC 0")
        elif isinstance(model, Resistor):
            sections[role].append(f"R{name} {na} {nb} {_fmt(values['resistance'])}")
        elif isinstance(model, LinearMemristor):
            g = float(values["conductance"])
            if g == 0.0:
                sections[role].append(f"* R{name} {na} {nb}: G = 0 S, an open circuit")
            else:
                sections[role].append(f"R{name} {na} {nb} {_fmt(1.0 / g)}")
        elif isinstance(model, SinhMemristor):
            g, v0 = float(values["conductance"]), float(model.v0)
            sections[role].append(f"B{name} {na} {nb} I={_fmt(g * v0)}*sinh(V({na},{nb})/{_fmt(v0)})")
        elif isinstance(model, NMOSModel):
            gate = f"g_{int(data['gate_line'])}"
            sections[role].append(f"M{name} {na} {gate} {nb} body {TRANSISTOR_MODEL_NAME} {geometry}".rstrip())
        else:
            raise TypeError(f"no SPICE element for model {type(model).__name__} "
                                      f"(role {role}, index {data['index']})")
    labels = {"source": "driver resistances", "row_wire": "row wire segments",
              "col_wire": "column wire segments", "sink": "sink resistances",
              "memristor": "memristors", "transistor": "transistors"}
    for role, items in sections.items():
        if items:
            lines.append(f"* {labels[role]}")
            lines.extend(items)
    if has_fet:
        lines.append(_transistor_card(crossbar.transistor, TRANSISTOR_MODEL_NAME))
    opts = _spice_options(crossbar, options)
    if opts:
        lines.append(".options " + " ".join(_option_text(k, val) for k, val in opts.items()))
    if v.shape[0] == 1:
        lines.append(".op")
    else:
        lines += [".control", "set filetype=binary", "op", f"write {raw_file}", "set appendwrite"]
        for s in range(1, v.shape[0]):
            for i in range(rows):
                if v[s, i] != v[s - 1, i]:
                    lines.append(f"alter vin_{i} dc = {_fmt(v[s, i])}")
            lines += ["op", f"write {raw_file}"]
        lines += ["rusage time", "quit", ".endc"]
    lines.append(".end")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- model cards
def _logical_lines(text: str) -> list:
    """Netlist text → logical lines: comments dropped, '+' continuations joined (fields space-separated).

    The SPICE syntax (comments, continuations, ``$``) is that of
    :func:`xbarsolve.devices.bsim4.card.logical_lines`.
    """
    return [" ".join(t.text for t in st.tokens) for st in _statements(text)]


_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^\s=()]+)")

_LEVEL1_FIELDS = {"vto": "vto", "vt0": "vto", "kp": "kp", "gamma": "gamma", "phi": "phi",
                  "lambda": "lambda_", "ld": "ld", "is": "junction_is"}


def _assignments(text: str) -> tuple:
    """``name=value`` pairs (names lower case, values as text) of a card or line, and the leftover words."""
    rest = _ASSIGN.sub(" ", text).replace("(", " ").replace(")", " ").split()
    return [(k.lower(), v) for k, v in _ASSIGN.findall(text)], rest


def _card_parameters(card: str) -> dict:
    """{name (lower case): value} of one ``.model`` card's ``name=value`` pairs (numbers parsed)."""
    body = " ".join(_logical_lines(card))
    body = body.split(None, 3)[3] if len(body.split(None, 3)) > 3 else ""
    pairs, leftovers = _assignments(body)
    if leftovers:
        raise ValueError(f"cannot read {' '.join(leftovers)!r} in .model card")
    params = {}
    for key, value in pairs:
        if key in params:
            raise ValueError(f"parameter {key.upper()} given twice in .model card")
        params[key] = parse_spice_number(value)
    return params


def _bsim4_from_netlist(text: str, model_name: str, extras: dict) -> NMOSModel:
    """A :class:`~xbarsolve.devices.Bsim4NMOS` from the BSIM4 card ``model_name`` of ``text``.

    The instance parameters are those of the first ``M`` line using the card (all of them:
    W, L, NF, NRS, AS, ...), with ``extras``' ``w`` and ``l`` winning; ``extras`` also carries
    ``gmin`` (S) and ``temperature`` (K) from the netlist's options.
    """
    from .devices.bsim4 import Bsim4NMOS
    from .devices.bsim4.card import InstanceParameters, read_instances, read_model_card

    card = read_model_card(text, model_name)
    lines = read_instances(text, model=model_name)
    overrides = {key: extras[key] for key in ("w", "l") if key in extras}
    if lines:  # the M line's parameters (with their line numbers, for error messages), W/L overridden
        instance = dataclasses.replace(lines[0], parameters=MappingProxyType({**lines[0].parameters, **overrides}))
    else:
        instance = InstanceParameters.from_keywords(**overrides)
    options = {k: extras[k] for k in ("gmin", "temperature") if k in extras}
    return Bsim4NMOS.from_card(card, instance=instance, **options)


def parse_model_card(text: str, *, name: str | None = None, w: float | None = None,
                     l: float | None = None, ignore=()) -> NMOSModel:
    """An :class:`~xbarsolve.devices.NMOSModel` from a SPICE ``.model`` card.

    ``text`` is a ``.model NAME nmos level=1 VTO=.. KP=..`` card, or a netlist
    (fragment) containing one.  Names and suffixes are case-insensitive,
    numbers may carry engineering suffixes (``200u``, ``2.5k``, ``1meg``),
    parentheses and ``+`` continuation lines are allowed.

    Level 1 (the default level) accepts VTO (alias VT0, V), KP (A/V²), GAMMA
    (√V), PHI (V), LAMBDA (1/V), LD (m) and IS (A, the junction saturation
    current); any other parameter raises ValueError naming it, unless listed in
    ``ignore`` (e.g. capacitances, which do not affect a DC solve).  BSIM4 cards
    (``level=54`` or ``14``) are read as written into
    :class:`~xbarsolve.devices.Bsim4NMOS` (:mod:`xbarsolve.devices.bsim4.card`: every
    parameter of the BSIM4.8 manual is recognised, an unknown one is an error naming
    it; ``ignore`` does not apply), with every instance parameter of the ``M`` line
    (NF, NRS, AS, ...) and temperature scaling from the card's TNOM to ``.options temp=``.

    The rest of the netlist completes the model: W and L (m) come from the
    first ``M`` instance line using the card (or the ``w``/``l`` arguments,
    which win; ngspice's default is 100 µm for level 1, 5 µm for BSIM4), ``gmin`` (S) from ``.options
    gmin=``, the temperature from ``.options temp=`` or ``.temp`` (°C; the
    model stores kelvin).  ``name`` selects one card when there are several
    (without it, a text with one NMOS card among others -- a library's NMOS and
    PMOS cards -- gives its NMOS card).
    TypeError for a ``text`` that is not a str (decode bytes first).
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_model_card needs SPICE text (str), got {type(text).__name__}"
                        + (" (decode bytes first)" if isinstance(text, (bytes, bytearray)) else ""))
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str (the model name), got {type(name).__name__}")
    lines = _logical_lines(text)
    cards = [ln for ln in lines if re.match(r"(?i)^\.model\s", ln)]
    if name is not None:
        cards = [c for c in cards if c.split()[1].lower() == name.lower()]
    if not cards:
        raise ValueError("no .model card found" + (f" named {name!r}" if name else ""))
    if len(cards) > 1 and name is None:  # a library with NMOS and PMOS cards: its one NMOS card
        nmos = [c for c in cards if len(c.split()) > 2 and c.split()[2].lower() == "nmos"]
        cards = nmos if len(nmos) == 1 else cards
    if len(cards) > 1:
        raise ValueError(f"{len(cards)} .model cards found; choose one with name=")
    card = cards[0]
    tokens = card.replace("(", " ( ").split()
    if len(tokens) < 3:
        raise ValueError(f"incomplete .model card: {card!r}")
    model_name, mtype = tokens[1], tokens[2].lower()
    if mtype != "nmos":
        raise ValueError(f"only nmos model cards are supported, got type {tokens[2]!r} in {card!r}")
    level_text = re.search(r"(?i)\blevel\s*=\s*([^\s()]+)", card)
    bsim4 = level_text is not None and level_text.group(1).lower() in ("54", "14", "54.0", "14.0")
    params = {}
    if not bsim4:  # (a BSIM4 card is read, and its errors reported, by the BSIM4 reader)
        try:
            params = _card_parameters(card)
        except ValueError as exc:
            raise ValueError(f"{exc} {model_name}") from None
        params.pop("level", None)
    level = 54.0 if bsim4 else parse_spice_number(level_text.group(1)) if level_text else 1.0
    ignored = {str(p).lower() for p in ignore}
    params = {k: v for k, v in params.items() if k not in ignored}

    # instance geometry, gmin and temperature from the rest of the netlist
    extras = {}
    for ln in lines:
        if ln[0] in "mM" and len(ln.split()) >= 6 and ln.split()[5].lower() == model_name.lower():
            inst, _ = _assignments(" ".join(ln.split()[6:]))
            for key, value in inst:
                if key in ("w", "l"):
                    extras[key] = parse_spice_number(value)
            break
    for ln in lines:
        low = ln.lower()
        if low.startswith(".option"):
            for key, value in _assignments(ln.split(None, 1)[1] if " " in ln else "")[0]:
                if key == "gmin":
                    extras["gmin"] = parse_spice_number(value)
                elif key == "temp":
                    extras["temp_c"] = parse_spice_number(value)
                elif key == "tnom":
                    extras["tnom_c"] = parse_spice_number(value)
        elif low.split()[0] == ".temp":
            if len(ln.split()) < 2:
                raise ValueError(".temp needs a temperature in °C (e.g. .temp 27)")
            extras["temp_c"] = parse_spice_number(ln.split()[1])
    if w is not None:
        extras["w"] = float(w)
    if l is not None:
        extras["l"] = float(l)
    temp_c = extras.pop("temp_c", None)
    if temp_c is not None:
        extras["temperature"] = _celsius_to_kelvin(temp_c)
    if level in (14, 54):
        extras.pop("tnom_c", None)  # a BSIM4 card scales from its own TNOM to the temperature
        return _bsim4_from_netlist(text, model_name, extras)
    tnom_c = params.pop("tnom", extras.pop("tnom_c", None))
    run_c = 27.0 if temp_c is None else temp_c  # ngspice's default temperature is 27 °C
    if tnom_c is not None and abs(tnom_c - run_c) > 1e-9:
        raise ValueError(f"TNOM = {tnom_c:g} °C differs from the simulation temperature {run_c:g} °C: "
                         "the level-1 model has no temperature scaling (set TEMP = TNOM)")

    if level == 1:
        unsupported = [k for k in params if k not in _LEVEL1_FIELDS]
        if unsupported:
            raise ValueError(f"unsupported level-1 parameter(s) in .model card {model_name}: "
                             f"{', '.join(p.upper() for p in unsupported)} (supported: VTO KP GAMMA "
                             f"PHI LAMBDA LD IS; pass ignore=[...] to skip DC-irrelevant ones)")
        if "vto" in params and "vt0" in params:
            raise ValueError(f"both VTO and its alias VT0 given in .model card {model_name}")
        kwargs = {_LEVEL1_FIELDS[k]: v for k, v in params.items()}
        kwargs.update(extras)
        return Level1NMOS(**kwargs)
    raise ValueError(f"unsupported MOSFET level {level:g} in .model card {model_name} "
                     "(supported: 1, and 54/14 for BSIM4)")


# ----------------------------------------------------------------------------- running
def ngspice_available(executable: str = "ngspice") -> bool:
    """Whether the ngspice executable is on the PATH."""
    return shutil.which(executable) is not None


def _read_raw(data: bytes) -> list:
    """Plots of an ngspice raw file (binary or ascii, possibly several appended): list of dicts."""
    plots, pos = [], 0
    while pos < len(data):
        start = data.find(b"Title:", pos)
        if start < 0:
            break
        header = {}
        variables = []
        cursor = start
        mode = None
        while True:
            end = data.find(b"\n", cursor)
            if end < 0:
                raise NgspiceError("truncated raw file header")
            line = data[cursor:end].decode("latin-1")
            cursor = end + 1
            if line.startswith("Binary:"):
                mode = "binary"
                break
            if line.startswith("Values:"):
                mode = "ascii"
                break
            if line.startswith("Variables:"):
                nvars = int(header["no. variables"])
                for _ in range(nvars):
                    end = data.find(b"\n", cursor)
                    parts = data[cursor:end].decode("latin-1").split()
                    cursor = end + 1
                    variables.append((parts[1], parts[2] if len(parts) > 2 else ""))
                continue
            if ":" in line:
                key, value = line.split(":", 1)
                header[key.strip().lower()] = value.strip()
        nvars, npts = int(header["no. variables"]), int(header["no. points"])
        flags = header.get("flags", "real").lower()
        if "complex" in flags:
            raise NgspiceError("complex raw file plots are not supported (expected an operating point)")
        if mode == "binary":
            nbytes = 8 * nvars * npts
            if len(data) - cursor < nbytes:
                raise NgspiceError("truncated binary raw file")
            values = np.frombuffer(data[cursor:cursor + nbytes], dtype="<f8").reshape(npts, nvars)
            pos = cursor + nbytes
        else:
            nums, pos = [], cursor
            while len(nums) < nvars * npts:
                end = data.find(b"\n", pos)
                end = len(data) if end < 0 else end
                parts = data[pos:end].decode("latin-1").split()
                pos = end + 1
                if not parts:
                    continue
                nums.append(float(parts[-1]))
            values = np.array(nums).reshape(npts, nvars)
        plots.append({"plotname": header.get("plotname", ""), "variables": variables,
                      "values": values.copy()})
    return plots


def _split_variables(plot) -> tuple:
    voltages, currents = {}, {}
    for k, (name, kind) in enumerate(plot["variables"]):
        low = name.lower()
        m = re.fullmatch(r"([vi])\((.*)\)", low)
        if m:
            kind = "voltage" if m.group(1) == "v" else "current"
            low = m.group(2)
        if low.endswith("#branch"):
            kind, low = "current", low[:-len("#branch")]
        target = currents if kind == "current" else voltages
        target[low] = plot["values"][:, k]
    return voltages, currents


_FAILURE = re.compile(r"(?im)^(?:\s*error\b.*|.*(?:simulation\(s\) aborted|iteration limit reached|"
                      r"singular matrix|simulation interrupted|circuit not parsed).*)$")
_WARNING = re.compile(r"(?im)^.*\bwarning\b.*$")


def _warnings(log: str) -> list:
    """ngspice's warning lines, each with the line after it (where ngspice puts the detail)."""
    lines = log.splitlines()
    out = []
    for k, line in enumerate(lines):
        if _WARNING.match(line):
            detail = " ".join(x.strip() for x in lines[k + 1:k + 3] if x.strip())
            out.append(f"{line.strip()} {detail}".strip())
    return out


def _float_after(pattern: str, text: str):
    found = re.findall(pattern + r"\s*=\s*([-+0-9.eE]+)", text)
    return float(found[-1]) if found else None


def run_ngspice(netlist: str, *, executable: str = "ngspice", timeout: float | None = 600.0,
                expected_points: int | None = None) -> dict:
    """Run ``netlist`` in ``ngspice -b`` and return its operating point(s).

    A netlist without a ``.control`` block is run as ``ngspice -b -r FILE``
    (its ``.op`` result goes to the raw file); a netlist with one must
    ``write`` its results to a raw file (as batch netlists of
    :func:`to_spice_netlist` do), which is read back.  Raw files are read in
    binary: no digits are lost.

    Returns a dict:

    ``voltages`` -- {node name (lower case): array (n_points,)} in V;
    ``currents`` -- {voltage source name (lower case): array (n_points,)}
    in A, SPICE's sign: current into the source's + terminal;
    ``n_points`` -- operating points read (one per ``op``);
    ``analysis_time`` -- ngspice's own "Total analysis time" (s), or None;
    ``elapsed_time`` -- ngspice's "Total elapsed time" (s), or None;
    ``wall_time`` -- the subprocess' wall-clock time (s);
    ``warnings`` -- ngspice's warning lines (e.g. an unrecognized, hence
    ignored, model parameter);
    ``log`` -- ngspice's stdout and stderr.

    Raises :class:`NgspiceError` if ngspice is missing, reports a failed
    analysis, or produces a different number of points than
    ``expected_points``.
    """
    exe = shutil.which(executable)
    if exe is None:
        raise NgspiceError(f"{executable!r} not found on the PATH (install ngspice)")
    has_control = re.search(r"(?im)^\s*\.control\b", netlist) is not None
    with tempfile.TemporaryDirectory(prefix="xbarsolve_ngspice_") as tmp:
        cir = os.path.join(tmp, "circuit.cir")
        with open(cir, "w") as fh:
            fh.write(netlist)
        if has_control:
            raw_names = list(dict.fromkeys(re.findall(r"(?im)^\s*write\s+(\S+)", netlist)))
            cmd = [exe, "-b", cir]
        else:
            raw_names = [RAW_FILE_NAME]
            cmd = [exe, "-b", "-r", os.path.join(tmp, RAW_FILE_NAME), cir]
        env = dict(os.environ, SPICE_ASCIIRAWFILE="0")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout,
                                  env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise NgspiceError(f"ngspice did not finish within {timeout} s") from exc
        wall = time.perf_counter() - t0
        log = proc.stdout + proc.stderr
        failure = _FAILURE.search(log)
        if proc.returncode != 0 or failure:
            what = failure.group(0).strip() if failure else f"exit status {proc.returncode}"
            raise NgspiceError(f"ngspice failed ({what}); log tail:\n{log[-3000:]}")
        plots = []
        for name in raw_names:
            path = os.path.join(tmp, name)
            if not os.path.exists(path):
                raise NgspiceError(f"ngspice wrote no raw file {name!r}; log tail:\n{log[-3000:]}")
            with open(path, "rb") as fh:
                plots += _read_raw(fh.read())
    if not plots:
        raise NgspiceError(f"ngspice produced no operating point; log tail:\n{log[-3000:]}")
    parts = [_split_variables(p) for p in plots]
    names_v, names_i = parts[0][0].keys(), parts[0][1].keys()
    voltages = {n: np.concatenate([p[0][n] for p in parts]) for n in names_v}
    currents = {n: np.concatenate([p[1][n] for p in parts]) for n in names_i}
    n_points = sum(p["values"].shape[0] for p in plots)
    if expected_points is not None and n_points != expected_points:
        raise NgspiceError(f"expected {expected_points} operating points, ngspice produced {n_points}")
    return {"voltages": voltages, "currents": currents, "n_points": n_points,
            "analysis_time": _float_after(r"Total analysis time \(seconds\)", log),
            "elapsed_time": _float_after(r"Total elapsed time \(seconds\)", log),
            "wall_time": wall, "warnings": _warnings(log), "log": log}


def ngspice_solve(crossbar, v_in, *, options: Mapping | None = None, title: str | None = None,
                  executable: str = "ngspice", timeout: float | None = 600.0) -> dict:
    """Solve ``crossbar`` at inputs ``v_in`` (V, (rows,) or (batch, rows)) with ngspice.

    Returns arrays shaped like :class:`~xbarsolve.CrossbarSolution`'s (with
    the batch axis always present): ``column_currents`` (B, cols) A,
    ``source_currents`` (B, rows) A, ``row_voltages``, ``column_voltages``,
    ``internal_voltages`` (B, rows, cols) V (NaN for 1R cells), ``v_in``
    (B, rows) V; for 1T-1R cells ``gate_line_currents`` (B, lines) A, delivered by each gate
    driver, and ``body_current`` (B,) A, taken by all transistor bodies together; plus ``analysis_time``/``wall_time`` (s), ngspice's
    ``warnings`` and the ``netlist`` run.  ``options`` and ``title`` as :func:`to_spice_netlist`.
    """
    v = _check_v_in(crossbar, v_in)
    netlist = to_spice_netlist(crossbar, v, options=options, title=title)
    out = run_ngspice(netlist, executable=executable, timeout=timeout, expected_points=v.shape[0])
    rows, cols = crossbar.shape
    volt, cur = out["voltages"], out["currents"]

    def grid(prefix):
        return np.stack([volt[f"{prefix}_{i}_{j}"] for i in range(rows) for j in range(cols)],
                        axis=1).reshape(v.shape[0], rows, cols)

    extra = {}
    if crossbar.cell == "1t1r":
        extra["gate_line_currents"] = -np.stack([cur[f"vg_{k}"] for k in range(len(crossbar.v_gate))], axis=1)
        extra["body_current"] = -np.asarray(cur["vbody"])
    return {
        **extra,
        "v_in": v,
        "column_currents": np.stack([cur[f"vout_{j}"] for j in range(cols)], axis=1),
        "source_currents": -np.stack([cur[f"vin_{i}"] for i in range(rows)], axis=1),
        "row_voltages": grid("r"),
        "column_voltages": grid("c"),
        "internal_voltages": grid("m") if crossbar.cell == "1t1r" else np.full((v.shape[0], rows, cols),
                                                                                np.nan),
        "analysis_time": out["analysis_time"],
        "wall_time": out["wall_time"],
        "warnings": out["warnings"],
        "netlist": netlist,
    }
