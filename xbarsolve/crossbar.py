"""The public entry point: :class:`Crossbar`."""
from __future__ import annotations


import numpy as np

from . import checks
from .assembly import CircuitEquations
from .devices import BsimLikeNMOS, ElementModel, LinearMemristor, NMOSModel, Resistor
from ._newton import NewtonOptions, solve_dc
from .netlist import compile_netlist
from .results import CrossbarSolution, OperatingPoint
from .topology import build_crossbar_graph

CELLS = ("1t1r", "1r")
TRANSISTOR_SIDES = ("row", "column")
ROLES = ("source", "row_wire", "col_wire", "sink", "memristor", "transistor")
DEFAULT_V_GATE = 1.0  # V


def _check_memristor(model) -> None:
    checks.instance_of("memristor", model, ElementModel, described="an ElementModel")
    try:
        model.element_parameters(conductance=1e-5)
    except TypeError:
        raise TypeError(f"memristor must be a model whose element_parameters takes a conductance "
                        f"(S); {type(model).__name__} does not") from None


class Crossbar:
    """A memristive crossbar: rows × cols cells between row drivers and column virtual grounds.

    Parameters
    ----------
    conductances : array (rows, cols), S
        Memristor state conductances (>= 0, finite).
    cell : {"1t1r", "1r"}
        1T-1R cells (NMOS in series with a memristor) or passive 1R cells.
    transistor_side : {"row", "column"}
        Where the transistor of a 1T-1R cell sits (default "row"): drain at the row wire
        (gate-source voltage falls as the input rises) or source at the column
        wire (V_GS ≈ V_G).
    v_gate : float or array (rows,), V
        Gate (select-line) voltage per row (1T-1R only; default 1.0 V); the
        body is at 0 V.
    r_source : float or array (rows,), Ω
        Row driver output resistance (0 = ideal driver).
    r_sink : float or array (cols,), Ω
        Resistance from the bottom of each column into its 0 V virtual ground.
    r_wire : float, Ω
        Wire segment resistance between neighbouring cells, rows and columns;
        ``r_wire_row``/``r_wire_col`` override it per direction.  0 merges the
        nodes exactly.
    memristor : ElementModel
        Memristor model (default :class:`LinearMemristor`).
    transistor : NMOSModel
        Transistor model for 1T-1R cells (default: :class:`BsimLikeNMOS`, the
        PTM 45 nm card, ``Crossbar.DEFAULT_TRANSISTOR``).
    options : NewtonOptions
        Solver tolerances and limits.

    Examples
    --------
    >>> xb = Crossbar(np.full((4, 4), 1e-5), cell="1t1r", v_gate=1.0, r_wire=2.5)
    >>> res = xb.solve(np.full(4, 0.2))
    >>> res.column_currents.shape
    (4,)
    """

    DEFAULT_TRANSISTOR = BsimLikeNMOS()  # PTM 45 nm card, W = 200 nm, L = 45 nm

    def __init__(self, conductances, *, cell: str = "1t1r", transistor_side: str | None = None,
                 v_gate=None, r_source=0.0, r_sink=0.0, r_wire=0.0, r_wire_row=None, r_wire_col=None,
                 memristor: ElementModel | None = None, transistor: NMOSModel | None = None,
                 options: NewtonOptions | None = None):
        g = checks.real_array("conductances", conductances, non_negative=True)
        if g.ndim != 2 or 0 in g.shape:
            raise ValueError(f"conductances must be a non-empty 2-D array (rows, cols), got shape {g.shape}")
        rows, cols = g.shape
        self.cell = checks.choice("cell", cell, CELLS)
        if transistor_side is not None and self.cell == "1r":
            raise ValueError("transistor_side applies to 1T-1R cells; this crossbar has passive 1R cells "
                             "(cell='1r'): leave it out")
        self.transistor_side = checks.choice("transistor_side", "row" if transistor_side is None else transistor_side,
                                             TRANSISTOR_SIDES)
        self.memristor = LinearMemristor() if memristor is None else memristor
        _check_memristor(self.memristor)
        if self.cell == "1r" and (transistor is not None or v_gate is not None):
            raise ValueError("transistor and v_gate apply to 1T-1R cells; this crossbar has passive "
                             "1R cells (cell='1r'): leave them out")
        self.transistor = checks.instance_of("transistor", self.DEFAULT_TRANSISTOR if transistor is None else transistor,
                                             NMOSModel, described="an NMOSModel")
        # Every array is the crossbar's own read-only copy: a caller changing its arrays in place
        # later cannot change this crossbar (or layers built from it).
        self.v_gate = checks.readonly_copy(checks.broadcast(
            "v_gate", checks.real_array("v_gate", DEFAULT_V_GATE if v_gate is None else v_gate), (rows,)))
        self.r_source = checks.readonly_copy(checks.resistance_array("r_source", r_source, (rows,)))
        self.r_sink = checks.readonly_copy(checks.resistance_array("r_sink", r_sink, (cols,)))
        r_wire = float(checks.resistance_array("r_wire", r_wire))
        self.r_wire_row = r_wire if r_wire_row is None else float(checks.resistance_array("r_wire_row", r_wire_row))
        self.r_wire_col = r_wire if r_wire_col is None else float(checks.resistance_array("r_wire_col", r_wire_col))
        self.options = checks.instance_of("options", NewtonOptions() if options is None else options, NewtonOptions,
                                          described="a NewtonOptions")
        self.conductances = checks.readonly_copy(g)

        self.graph = build_crossbar_graph(
            g, cell=self.cell, transistor_side=self.transistor_side, v_gate=self.v_gate,
            r_source=self.r_source, r_sink=self.r_sink, r_wire_row=self.r_wire_row,
            r_wire_col=self.r_wire_col, memristor=self.memristor, transistor=self.transistor,
            resistor_model=Resistor())
        self.netlist = compile_netlist(self.graph)
        self.equations = CircuitEquations(self.netlist)
        # the linear solver analysed for this circuit's Jacobian pattern (a LinearPlan)
        self.linear_solver = self.options.linear_solver.analyse(self.netlist.pattern)
        self._index_roles()

    @property
    def shape(self) -> tuple:
        """(rows, cols)."""
        return self.conductances.shape

    def _index_roles(self):
        """Where each role's elements live: role -> (group, positions, index tuples)."""
        self.role_elements = {}
        for gid, group in enumerate(self.netlist.groups):
            roles = np.array(group.roles, dtype=object)
            for role in dict.fromkeys(group.roles):
                assert role not in self.role_elements, f"role {role} spans several element groups"
                pos = np.flatnonzero(roles == role)
                idx = tuple(np.array(c, dtype=np.int64) for c in zip(*[group.indices[p] for p in pos]))
                self.role_elements[role] = (gid, pos.astype(np.int64), idx)
        rows, cols = self.shape
        code = self.netlist.node_code

        def codes(kind):
            return np.array([code[(kind, i, j)] for i in range(rows) for j in range(cols)], dtype=np.int64)

        self._row_codes = codes("row")
        self._col_codes = codes("col")
        self._mid_codes = codes("mid") if self.cell == "1t1r" else None
        self._in_taps = self._terminal_taps(np.array([code[("in", i)] for i in range(rows)]))
        self._out_taps = self._terminal_taps(np.array([code[("out", j)] for j in range(cols)]))

    def _terminal_taps(self, codes):
        """Where the elements touching the fixed terminals ``codes`` are: a list of (group,
        side 0/1 for terminal a/b, element indices, position of the terminal in ``codes``)."""
        position_of = np.full(len(self.netlist.fixed_sources), -1, dtype=np.int64)
        position_of[-codes - 1] = np.arange(codes.size)
        taps = []
        for gid, group in enumerate(self.netlist.groups):
            for side, term in enumerate((group.term_a, group.term_b)):
                elements = np.flatnonzero(term < 0)
                position = position_of[-term[elements] - 1]
                keep = position >= 0
                if keep.any():
                    taps.append((gid, side, elements[keep], position[keep]))
        return taps

    # ------------------------------------------------------------------ inputs
    def check_inputs(self, v_in) -> tuple[np.ndarray, bool]:
        """Validate input voltages (V); return them as (batch, rows) and whether input was 1-D."""
        v = checks.real_array("v_in", v_in)
        rows = self.shape[0]
        if v.ndim not in (1, 2):
            raise ValueError(f"v_in must have shape (rows,) or (batch, rows) with rows={rows}, got {v.shape}")
        if v.shape[-1] != rows:
            raise ValueError(f"v_in has {v.shape[-1]} values per vector but the crossbar has {rows} rows "
                             f"(expected shape (batch, {rows}) or ({rows},))")
        if v.ndim == 2 and v.shape[0] == 0:
            raise ValueError("v_in has an empty batch")
        return (v[None, :] if v.ndim == 1 else v), v.ndim == 1

    def parameters(self, conductances=None, v_gate=None) -> list:
        """Element-group parameter arrays with optional new ``conductances`` (S) and ``v_gate`` (V)."""
        params = list(self.equations.params)
        if conductances is not None:
            g = checks.real_array("conductances", conductances, non_negative=True)
            if g.shape != self.shape:
                raise ValueError(f"conductances must have shape {self.shape}, got {g.shape}")
            gid, pos, idx = self.role_elements["memristor"]
            params[gid] = params[gid].copy()
            params[gid][pos, self.memristor.param_index("conductance")] = g[idx]
        if v_gate is not None:
            if self.cell != "1t1r":
                raise ValueError("v_gate was given but the crossbar has passive 1R cells (no gates)")
            vg = checks.broadcast("v_gate", checks.real_array("v_gate", v_gate), (self.shape[0],))
            gid, pos, idx = self.role_elements["transistor"]
            params[gid] = params[gid].copy()
            params[gid][pos, self.transistor.param_index("v_gate")] = vg[idx[0]]
        return params

    # ------------------------------------------------------------------- solve
    def operating_point(self, v_in, *, conductances=None, v_gate=None, x0=None,
                        params: list | None = None, keep_jacobians: bool = True) -> OperatingPoint:
        """Solve the circuit and return the raw state (for results and for gradients).

        Arguments as :meth:`solve`; the results keep a batch axis.  ``params``
        (a list with one array per element group, shaped like
        ``self.equations.params``) replaces every element parameter at once,
        e.g. resistances too (see :mod:`xbarsolve.adjoint`); it excludes
        ``conductances`` and ``v_gate``.  ``keep_jacobians`` keeps the linear
        solver's state of each sample's final Jacobian for gradients; without
        it memory stays bounded for large batches.
        """
        v, _ = self.check_inputs(v_in)
        if params is None:
            params = self.parameters(conductances, v_gate)
        elif conductances is not None or v_gate is not None:
            raise ValueError("give either params or conductances/v_gate, not both")
        elif len(params) != len(self.equations.params) or any(
                np.shape(p) != q.shape for p, q in zip(params, self.equations.params)):
            raise ValueError("params must hold one array per element group, shaped like "
                             "Crossbar.equations.params")
        unchanged = all(a is b for a, b in zip(params, self.equations.params))
        eqs = self.equations if unchanged else self.equations.with_params(params)
        fixed_v = self.netlist.fixed_voltages(v)
        if x0 is not None:
            x0 = checks.real_array("x0", x0)
            if x0.shape != (v.shape[0], self.netlist.n_free):
                raise ValueError(f"x0 must have shape {(v.shape[0], self.netlist.n_free)}, got {x0.shape}")
        result = solve_dc(eqs, fixed_v, x0, self.options, self.linear_solver, keep_jacobians=keep_jacobians)
        return OperatingPoint(equations=eqs, result=result, fixed_voltages=fixed_v, v_in=v)

    def solve(self, v_in, *, conductances=None, v_gate=None, x0=None) -> CrossbarSolution:
        """DC operating point for input voltages ``v_in`` (V), shape (batch, rows) or (rows,).

        ``conductances`` (S, (rows, cols)) and ``v_gate`` (V, scalar or (rows,))
        replace the crossbar's own for this solve without recompiling it.
        ``x0`` (V, (batch, n_free)) is an initial guess for the free node
        voltages (default 0 V).  Raises ConvergenceError if the solve fails.
        """
        _, one_d = self.check_inputs(v_in)
        op = self.operating_point(v_in, conductances=conductances, v_gate=v_gate, x0=x0,
                                  keep_jacobians=False)
        solution = self.extract(op)
        return solution.squeezed() if one_d else solution

    def extract(self, op: OperatingPoint) -> CrossbarSolution:
        """Build the named results from a converged operating point."""
        eqs, result, fixed_v, v_in = op.equations, op.result, op.fixed_voltages, op.v_in
        net = self.netlist
        rows, cols = self.shape
        batch = v_in.shape[0]
        x = result.x
        currents = eqs.element_currents(x, fixed_v)

        def terminal_current(taps, count):  # current delivered into the circuit by each fixed terminal
            out = np.zeros((batch, count))
            for gid, side, elements, position in taps:
                np.add.at(out, (slice(None), position), currents[gid][side][:, elements])
            return out

        shape3 = (batch, rows, cols)
        row_v = net.node_voltages_of_codes(x, fixed_v, self._row_codes).reshape(shape3)
        col_v = net.node_voltages_of_codes(x, fixed_v, self._col_codes).reshape(shape3)
        mid_v = (net.node_voltages_of_codes(x, fixed_v, self._mid_codes).reshape(shape3)
                 if self.cell == "1t1r" else np.full(shape3, np.nan))

        power_shapes = {"source": (batch, rows), "row_wire": (batch, rows, cols - 1),
                        "col_wire": (batch, rows - 1, cols), "sink": (batch, cols),
                        "memristor": shape3, "transistor": shape3}
        offsets = {"row_wire": (0, -1), "col_wire": (-1, 0)}
        power = {}
        cell_currents = np.zeros(shape3)
        for role, shape in power_shapes.items():
            arr = np.zeros(shape)
            if role in self.role_elements:
                gid, pos, idx = self.role_elements[role]
                group = net.groups[gid]
                ia, ib = currents[gid]
                va = net.node_voltages_of_codes(x, fixed_v, group.term_a[pos])
                vb = net.node_voltages_of_codes(x, fixed_v, group.term_b[pos])
                p = va * ia[:, pos] + vb * ib[:, pos]
                idx = tuple(i + o for i, o in zip(idx, offsets.get(role, (0,) * len(idx))))
                arr[(slice(None),) + idx] = p
                entering_from_row = (role == "transistor") == (self.transistor_side == "row")
                if role in ("memristor", "transistor") and (self.cell == "1r" or entering_from_row):
                    cell_currents[(slice(None),) + idx] = ia[:, pos]
            if role in ("transistor",) and self.cell == "1r":
                continue
            power[role] = arr
        source_currents = terminal_current(self._in_taps, rows)
        column_currents = -terminal_current(self._out_taps, cols)
        total = sum(p.reshape(batch, -1).sum(axis=1) for p in power.values())
        return CrossbarSolution(
            column_currents=column_currents, source_currents=source_currents, row_voltages=row_v,
            column_voltages=col_v, internal_voltages=mid_v, cell_currents=cell_currents, power=power,
            total_power=total, delivered_power=(v_in * source_currents).sum(axis=1),
            iterations=result.iterations.copy(), strategy=list(result.strategy))
