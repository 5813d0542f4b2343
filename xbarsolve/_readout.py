"""Outputs of a solved crossbar: each defined once, used by ``Crossbar.solve`` and by the adjoint.

Every differentiable output is a *linear read-out* of the solution:

* a :class:`CurrentReadout` sums terminal currents of elements,
  ``y[s, o] = Σ coef · i_terminal(element)`` (A): a column current is minus the current its
  virtual ground drives into the elements attached to it, a cell current the current entering
  the cell's first element from the row wire;
* a :class:`VoltageReadout` picks node voltages, ``y[s, o] = v(code[o])`` (V).

Read-outs name element terminals by number -- 0 for terminal a, 1 for terminal b -- so an
element that one day reports currents into its gate or body (a four-terminal transistor)
adds terminal numbers, and read-outs of gate-line or body currents are entries like any other.

:class:`Readouts` builds them for one crossbar from its :class:`~xbarsolve._layout.CrossbarLayout`,
evaluates them (:meth:`Readouts.evaluate`), gives the explicit part of their vector-Jacobian
products for implicit differentiation (:meth:`Readouts.explicit_vjp`) and assembles the
:class:`~xbarsolve.CrossbarSolution` of ``solve()``, power bookkeeping included
(:meth:`Readouts.solution`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels
from ._results import CrossbarSolution

#: The differentiable outputs: name -> (unit, per-sample shape in words, description).
OUTPUTS = {
    "column_currents": ("A", "(cols,)", "current into each column's virtual ground, positive from rows "
                                        "to columns"),
    "source_currents": ("A", "(rows,)", "current delivered by each row driver"),
    "cell_currents": ("A", "(rows, cols)", "current flowing from the row wire into each cell"),
    "cell_output_currents": ("A", "(rows, cols)", "current flowing out of each cell into the column wire "
                                                  "(the cell current less what its gate and body take)"),
    "row_voltages": ("V", "(rows, cols)", "row-wire node voltage at each cell"),
    "column_voltages": ("V", "(rows, cols)", "column-wire node voltage at each cell"),
    "internal_voltages": ("V", "(rows, cols)", "node between transistor and memristor (1T-1R only)"),
}

#: Everything ``Crossbar.solve`` can return (the fields of :class:`~xbarsolve.CrossbarSolution`
#: that ``outputs=`` may name): the differentiable outputs, then the gate and body currents and the
#: power bookkeeping.  ``iterations`` and ``strategy`` always come along.
RESULTS = tuple(OUTPUTS) + ("gate_currents", "body_currents", "gate_line_currents", "power", "total_power",
                            "delivered_power")
#: What each result needs computed first (power needs every element's current).
_NEEDS = {"total_power": ("power",), "delivered_power": ("source_currents", "gate_currents", "body_currents"),
          "gate_line_currents": ("gate_currents",)}
#: Results that need the transistors' gate and body currents.
_GATE_BODY = frozenset({"gate_currents", "body_currents", "gate_line_currents"})

#: Element roles whose power is reported, and the shape of their power arrays per sample.
_POWER_SHAPES = {"source": lambda r, c: (r,), "row_wire": lambda r, c: (r, c - 1),
                 "col_wire": lambda r, c: (r - 1, c), "sink": lambda r, c: (c,),
                 "memristor": lambda r, c: (r, c), "transistor": lambda r, c: (r, c)}
#: Where a wire segment's index (i, j) lands in its power array (segment j−1 → j at [..., j−1]).
_POWER_OFFSETS = {"row_wire": (0, -1), "col_wire": (-1, 0)}


@dataclass(frozen=True)
class PowerPlace:
    """Where the elements of one role land in its power array of per-sample ``shape``: elements
    ``positions`` of group ``group`` go to flat indices ``flat`` (entries without an element, such
    as a 0 Ω driver's, stay 0 W)."""

    group: int
    positions: np.ndarray
    flat: np.ndarray
    shape: tuple

    def arrange(self, element_power: dict, batch: int) -> np.ndarray:
        """The role's power array (W), (batch, *shape), from its group's per-element power."""
        arr = np.zeros((batch, int(np.prod(self.shape))))
        arr[:, self.flat] = np.take(element_power[self.group], self.positions, axis=1)
        return arr.reshape((batch,) + self.shape)


def _power_place(elements, role: str, shape: tuple):
    """The :class:`PowerPlace` of a role's elements (None when the role has no elements)."""
    if elements is None:
        return None
    index = tuple(i + o for i, o in zip(elements.index, _POWER_OFFSETS.get(role, (0, 0))))
    return PowerPlace(elements.group, elements.positions, np.ravel_multi_index(index, shape).astype(np.int64), shape)


@dataclass(frozen=True)
class CurrentReadout:
    """``y[s, out] = Σ coef · (current into element ``elem`` at terminal ``terminal``)`` (A).

    ``entries[g] = (elem, terminal, out, coef)``: arrays for element group ``g`` (terminal 0
    = a, 1 = b); ``shape``: the per-sample shape of y.
    """

    shape: tuple
    entries: dict


@dataclass(frozen=True)
class VoltageReadout:
    """``y[s, o]`` = voltage (V) at terminal code ``codes[o]``; ``shape``: the per-sample shape."""

    shape: tuple
    codes: np.ndarray


def fixed_terminal_readout(netlist, codes: np.ndarray, coef: float) -> CurrentReadout:
    """``coef`` × the current each fixed terminal of ``codes`` drives into the elements attached to it."""
    position = np.full(len(netlist.fixed_sources), -1, dtype=np.int64)
    position[-codes - 1] = np.arange(codes.size)
    entries = {}
    for gid, group in enumerate(netlist.groups):
        parts = []
        for terminal, term in enumerate((group.term_a, group.term_b)):
            elem = np.flatnonzero(term < 0)
            out = position[-term[elem] - 1]
            keep = out >= 0
            parts.append((elem[keep], np.full(keep.sum(), terminal, dtype=np.int64), out[keep]))
        elem, terminal, out = (np.concatenate(p) for p in zip(*parts))
        if elem.size:
            entries[gid] = (elem, terminal, out, np.full(elem.size, coef))
    return CurrentReadout((codes.size,), entries)


def element_terminal_readout(elements, terminal: int, shape: tuple, coef: float = 1.0) -> CurrentReadout:
    """``coef`` × the current into terminal ``terminal`` of each element of ``elements`` (a
    :class:`~xbarsolve._layout.RoleElements`), placed at the element's index in ``shape``."""
    out = np.ravel_multi_index(elements.index, shape).astype(np.int64)
    n = elements.positions.size
    entries = (elements.positions.copy(), np.full(n, terminal, dtype=np.int64), out, np.full(n, coef))
    return CurrentReadout(shape, {elements.group: entries})


class Readouts:
    """The outputs of one compiled crossbar (index arrays, built once)."""

    def __init__(self, crossbar):
        self.crossbar = crossbar
        net, layout = crossbar.netlist, crossbar.layout
        rows, cols = crossbar.shape
        # the cell's first element seen from the row wire: the transistor when it sits on the row side
        first = "transistor" if crossbar.cell == "1t1r" and crossbar.transistor_side == "row" else "memristor"
        last = "memristor" if first == "transistor" or crossbar.cell == "1r" else "transistor"
        self.readouts = {
            "column_currents": fixed_terminal_readout(net, layout.output_codes, -1.0),
            "source_currents": fixed_terminal_readout(net, layout.input_codes, 1.0),
            "cell_currents": element_terminal_readout(layout.roles[first], 0, (rows, cols)),
            "cell_output_currents": element_terminal_readout(layout.roles[last], 1, (rows, cols), -1.0),
            "row_voltages": VoltageReadout((rows, cols), layout.row_codes.ravel()),
            "column_voltages": VoltageReadout((rows, cols), layout.column_codes.ravel()),
        }
        if layout.internal_codes is not None:
            self.readouts["internal_voltages"] = VoltageReadout((rows, cols), layout.internal_codes.ravel())
        self.power_places = {role: _power_place(layout.roles.get(role), role, shape_of(rows, cols))
                             for role, shape_of in _POWER_SHAPES.items()
                             if not (role == "transistor" and crossbar.cell == "1r")}

    # ------------------------------------------------------------------ checks
    def check_names(self, names) -> tuple:
        """Validate output names (before any work); return them as a tuple."""
        names = tuple(names)
        for name in names:
            if name not in OUTPUTS:
                raise ValueError(f"unknown output {name!r}; expected some of {tuple(OUTPUTS)}")
            if name not in self.readouts:
                raise ValueError(f"output {name!r} needs 1T-1R cells; this crossbar has passive "
                                 f"{self.crossbar.cell!r} cells")
        if not names:
            raise ValueError("no outputs requested")
        if len(set(names)) != len(names):
            raise ValueError(f"outputs must not repeat a name, got {names}")
        return names

    # ----------------------------------------------------------------- forward
    def evaluate(self, names, op, currents=None) -> dict:
        """Outputs ``names`` (A or V), each (batch, *per-sample shape), at the operating point ``op``.

        ``currents``: per group, terminal currents already computed (``element_currents`` of the
        circuit equations; None for a group not computed, or None altogether): read from them;
        otherwise each current read-out evaluates the elements it names.
        """
        x, fixed_v = op.result.x, op.fixed_voltages
        batch = x.shape[0]
        net = self.crossbar.netlist
        out = {}
        for name in names:
            ro = self.readouts[name]
            if isinstance(ro, VoltageReadout):
                y = net.node_voltages_of_codes(x, fixed_v, ro.codes)
            else:  # only the elements this read-out names are evaluated (a numba pass, not np.add.at)
                y = np.zeros((batch, int(np.prod(ro.shape))))
                for gid, (elem, terminal, o, coef) in ro.entries.items():
                    if currents is not None and currents[gid] is not None:
                        _kernels.read_stored(currents[gid][0], currents[gid][1], elem, terminal, o, coef, y)
                        continue
                    g = net.groups[gid]
                    _kernels.read(op.equations.families[gid], x, fixed_v, g.term_a, g.term_b,
                                  op.equations.params[gid], elem, terminal, o, coef, y)
            out[name] = y.reshape((batch,) + ro.shape)
        return out

    def check_results(self, outputs) -> tuple:
        """Validate ``Crossbar.solve``'s ``outputs=`` (before any work): None -> every result;
        otherwise a non-empty sequence of distinct names from :data:`RESULTS`."""
        if outputs is None:
            return RESULTS
        if isinstance(outputs, str):
            outputs = (outputs,)
        try:
            names = tuple(outputs)
        except TypeError:
            raise TypeError(f"outputs must be a sequence of result names from {RESULTS}, "
                            f"got {type(outputs).__name__}") from None
        for name in names:
            if name not in RESULTS:
                raise ValueError(f"unknown output {name!r} in outputs=; expected names from {RESULTS}")
        if not names:
            raise ValueError(f"outputs= names no result; expected names from {RESULTS} (or None for all)")
        if len(set(names)) != len(names):
            raise ValueError(f"outputs= must not repeat a name, got {names}")
        return names

    def solution(self, op, outputs=RESULTS) -> CrossbarSolution:
        """The named results of ``Crossbar.solve`` at a converged operating point, power included;
        only those in ``outputs`` (checked names, :meth:`check_results`) are computed, the others
        are None.  Results that do not exist for the crossbar's cells (internal voltages, gate and
        body currents of passive 1R cells) are NaN: read-only views, allocated once."""
        x, fixed_v, v_in = op.result.x, op.fixed_voltages, op.v_in
        xb, net = self.crossbar, self.crossbar.netlist
        rows, cols = xb.shape
        batch = x.shape[0]
        wanted = set(outputs)
        for name in outputs:
            wanted.update(_NEEDS.get(name, ()))
        # one evaluation of each element gives every current that is asked for: all groups for
        # the power, else the transistors' when their gate or body currents are wanted
        transistors = xb.layout.roles["transistor"].group if xb.cell == "1t1r" else None
        currents = None
        if "power" in wanted:
            currents = op.equations.element_currents(x, fixed_v)
        elif transistors is not None and wanted & _GATE_BODY:
            currents = op.equations.element_currents(x, fixed_v, groups=(transistors,))
        nan = np.broadcast_to(np.nan, (batch, rows, cols))  # (no memory: one value seen everywhere)
        y = self.evaluate([n for n in OUTPUTS if n in wanted and n in self.readouts], op, currents)
        if "internal_voltages" in wanted and "internal_voltages" not in y:
            y["internal_voltages"] = nan
        if wanted & (_GATE_BODY | {"power"}):
            gate = self._gate_and_body(op, currents, nan)
            y.update({k: gate[k] for k in ("gate_currents", "body_currents", "gate_line_currents")})
        if "power" in wanted:
            element_power = {}  # group -> v_a·i_a + v_b·i_b of each element (W), (batch, n_elements)
            for gid in sorted({place.group for place in self.power_places.values() if place is not None}):
                g = net.groups[gid]
                element_power[gid] = np.empty((batch, g.term_a.size))
                _kernels.power(x, fixed_v, g.term_a, g.term_b, currents[gid][0], currents[gid][1],
                               element_power[gid])
            power = {}
            for role, place in self.power_places.items():
                arr = place.arrange(element_power, batch) if place is not None else \
                    np.zeros((batch,) + _POWER_SHAPES[role](rows, cols))  # every segment an ideal wire
                if role == "transistor":  # and what its gate and body terminals take
                    arr += gate["v_gate"] * gate["gate_currents"] + gate["v_body"] * gate["body_currents"]
                power[role] = arr
            y["power"] = power
            y["total_power"] = sum(p.reshape(batch, int(np.prod(p.shape[1:]))).sum(axis=1)
                                   for p in power.values())
        if "delivered_power" in wanted:
            delivered = (v_in * y["source_currents"]).sum(axis=1)
            if xb.cell == "1t1r":  # the gate drivers and the body contact deliver power too
                delivered = delivered + (gate["v_gate"] * gate["gate_currents"]
                                         + gate["v_body"] * gate["body_currents"]).sum(axis=(1, 2))
            y["delivered_power"] = delivered
        return CrossbarSolution(**{name: y[name] if name in outputs else None for name in RESULTS},
                                iterations=op.result.iterations.copy(), strategy=list(op.result.strategy))

    def _gate_and_body(self, op, currents, nan) -> dict:
        """Currents (A) into each transistor's gate and body (batch, rows, cols), the current each
        gate driver delivers (batch, n_lines), and the gate and body voltages (V, (rows, cols)).

        ``currents``: the element currents of the transistors' group, computed
        (:meth:`~xbarsolve._assembly.CircuitEquations.element_currents`); a two-terminal model's
        gate draws nothing and its body takes whatever leaves a and b (0 A)."""
        xb = self.crossbar
        rows, cols = xb.shape
        batch = op.result.x.shape[0]
        if xb.cell != "1t1r":  # (``nan``: a read-only all-NaN view of shape (batch, rows, cols))
            return {"gate_currents": nan, "body_currents": nan, "gate_line_currents": np.zeros((batch, 0))}
        elements = xb.layout.roles["transistor"]
        pos = elements.positions
        terminal = currents[elements.group]
        if len(terminal) == 4:
            ig, ibody = terminal[2], terminal[3]
        else:
            ig, ibody = np.zeros_like(terminal[0]), -(terminal[0] + terminal[1])
        params = op.equations.params[elements.group]
        out = {}
        for name, values, column in (("gate_currents", ig, 0), ("body_currents", ibody, 1)):
            arr = np.empty((batch, rows, cols))
            arr[(slice(None),) + elements.index] = values[:, pos]
            v = np.empty((rows, cols))
            v[elements.index] = params[pos, column]
            out[name] = arr
            out["v_gate" if column == 0 else "v_body"] = v
        out["gate_line_currents"] = out["gate_currents"].sum(axis=2 if xb.gate_lines == "rows" else 1)
        return out

    # ---------------------------------------------------------------- backward
    def explicit_vjp(self, op, cotangents: dict, families, ks, grad_x, grad_fixed, grad_params) -> None:
        """Add ȳ · ∂y/∂(x, v_fixed, θ) of every output in ``cotangents`` (name -> ȳ, (batch, ...)) to
        the accumulators: ``grad_x`` (batch, n_free), ``grad_fixed`` (batch, n_fixed) and, per
        element group, ``grad_params[g]`` (n_elements, len(ks[g])) for parameter indices ``ks[g]``."""
        x, fixed_v = op.result.x, op.fixed_voltages
        net = self.crossbar.netlist
        batch = x.shape[0]
        for name, ybar in cotangents.items():
            ro = self.readouts[name]
            ybar = np.ascontiguousarray(ybar, dtype=float).reshape(batch, -1)
            if isinstance(ro, VoltageReadout):
                free = ro.codes >= 0
                np.add.at(grad_x, (slice(None), ro.codes[free]), ybar[:, free])
                np.add.at(grad_fixed, (slice(None), -ro.codes[~free] - 1), ybar[:, ~free])
                continue
            for gid, (elem, terminal, o, coef) in ro.entries.items():
                g = net.groups[gid]
                _kernels.read_vjp(families[gid], x, fixed_v, g.term_a, g.term_b, op.equations.params[gid],
                                  elem, terminal, o, coef, ybar, ks[gid], grad_x, grad_fixed,
                                  grad_params[gid])
