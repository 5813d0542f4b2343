"""The public entry point: :class:`Crossbar`."""
from __future__ import annotations

import functools

import numpy as np

from . import checks
from ._compile import compile_crossbar
from ._newton import NewtonOptions, solve_dc
from ._parameters import PARAMETERS, element_parameters
from ._readout import Readouts
from ._topology import build_crossbar_graph
from ._assembly import CircuitEquations
from .devices import BsimLikeNMOS, ElementModel, LinearMemristor, NMOSModel, Resistor
from ._results import CrossbarSolution, OperatingPoint

CELLS = ("1t1r", "1r")
TRANSISTOR_SIDES = ("row", "column")
GATE_LINES = ("rows", "columns")
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
    gate_lines : {"rows", "columns"}
        Along which the gate (select) lines of 1T-1R cells run (default "rows"):
        one line per row, joining the gates of that row's cells, or one per column.
    v_gate : float or array (rows,) or (cols,), V
        Gate voltage of each gate line (1T-1R only; default 1.0 V): a scalar for
        every line, or one value per row (``gate_lines="rows"``) or per column
        (``gate_lines="columns"``).  The body is at 0 V.
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
        Solver tolerances and limits, and the linear solver.

    Attributes
    ----------
    The arguments, checked (arrays are the crossbar's own read-only copies; ``v_gate``,
    ``r_source``, ``r_sink`` broadcast to their full shapes), and ``shape``, ``n_free`` (the
    number of unknown node voltages), ``graph`` (the circuit as a networkx graph, built on
    first use), ``linear_solver`` (the :class:`~xbarsolve.linear_solvers.LinearPlan` of
    ``options.linear_solver`` for this circuit, with its statistics).  ``netlist``,
    ``layout``, ``equations`` and ``readouts`` are the compiled internals (types from
    private modules; see ``docs/architecture.md``), for white-box use.

    Examples
    --------
    >>> xb = Crossbar(np.full((4, 4), 1e-5), cell="1t1r", v_gate=1.0, r_wire=2.5)
    >>> res = xb.solve(np.full(4, 0.2))
    >>> res.column_currents.shape
    (4,)
    """

    DEFAULT_TRANSISTOR = BsimLikeNMOS()  # PTM 45 nm card, W = 200 nm, L = 45 nm
    _RESISTOR = Resistor()  # the model of driver, sink and wire resistances

    def __init__(self, conductances, *, cell: str = "1t1r", transistor_side: str | None = None,
                 gate_lines: str | None = None, v_gate=None, r_source=0.0, r_sink=0.0, r_wire=0.0,
                 r_wire_row=None, r_wire_col=None,
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
        self.transistor_side = checks.choice(
            "transistor_side", "row" if transistor_side is None else transistor_side, TRANSISTOR_SIDES)
        if gate_lines is not None and self.cell == "1r":
            raise ValueError("gate_lines applies to 1T-1R cells; this crossbar has passive 1R cells "
                             "(cell='1r'): leave it out")
        self.gate_lines = checks.choice("gate_lines", "rows" if gate_lines is None else gate_lines,
                                        GATE_LINES)
        self.memristor = LinearMemristor() if memristor is None else memristor
        _check_memristor(self.memristor)
        if self.cell == "1r" and (transistor is not None or v_gate is not None):
            raise ValueError("transistor and v_gate apply to 1T-1R cells; this crossbar has passive "
                             "1R cells (cell='1r'): leave them out")
        self.transistor = checks.instance_of(
            "transistor", self.DEFAULT_TRANSISTOR if transistor is None else transistor, NMOSModel,
            described="an NMOSModel")
        # Every array is the crossbar's own read-only copy: a caller changing its arrays in place
        # later cannot change this crossbar (or layers built from it).
        r_wire = float(checks.resistance_array("r_wire", r_wire))
        given = dict(v_gate=DEFAULT_V_GATE if v_gate is None else v_gate, r_source=r_source, r_sink=r_sink,
                     r_wire_row=r_wire if r_wire_row is None else r_wire_row,
                     r_wire_col=r_wire if r_wire_col is None else r_wire_col)
        for name, value in given.items():
            spec = PARAMETERS[name]
            arr = spec.check(value, {"rows": (rows,), "cols": (cols,), None: ()}[spec.axis_of(self)])
            setattr(self, name, checks.readonly_copy(arr) if arr.ndim else float(arr))
        self.options = checks.instance_of("options", NewtonOptions() if options is None else options,
                                          NewtonOptions, described="a NewtonOptions")
        self.conductances = checks.readonly_copy(g)

        self.netlist, self.layout = compile_crossbar(g, **self._description())
        self.equations = CircuitEquations(self.netlist)
        # the linear solver analysed for this circuit's Jacobian pattern (a LinearPlan)
        self.linear_solver = self.options.linear_solver.analyse(self.netlist.pattern)
        self.readouts = Readouts(self)

    @property
    def shape(self) -> tuple:
        """(rows, cols)."""
        return self.conductances.shape

    @property
    def n_free(self) -> int:
        """Number of unknown node voltages (the width of an initial guess ``x0``)."""
        return self.netlist.n_free

    def _description(self) -> dict:
        """The arguments from which the netlist (and the graph) are built."""
        return dict(cell=self.cell, transistor_side=self.transistor_side, gate_lines=self.gate_lines,
                    v_gate=self.v_gate, r_source=self.r_source, r_sink=self.r_sink,
                    r_wire_row=self.r_wire_row, r_wire_col=self.r_wire_col, memristor=self.memristor,
                    transistor=self.transistor, resistor_model=self._RESISTOR)

    @functools.cached_property
    def graph(self):
        """The circuit as a :class:`networkx.MultiDiGraph` (built on first use; node names and element
        roles: :mod:`xbarsolve._topology`).  A description of the compiled circuit: editing it does not
        change this crossbar; :func:`xbarsolve._netlist.compile_netlist` compiles an edited graph."""
        return build_crossbar_graph(self.conductances, **self._description())

    # ------------------------------------------------------------------ inputs
    def check_inputs(self, v_in) -> tuple[np.ndarray, bool]:
        """Validate input voltages (V); return them as (batch, rows) and whether input was 1-D.

        An empty batch, (0, rows), is valid (as for ``torch.nn.Linear``): it has empty results.
        """
        v = checks.real_array("v_in", v_in)
        rows = self.shape[0]
        if v.ndim not in (1, 2):
            raise ValueError(f"v_in must have shape (rows,) or (batch, rows) with rows={rows}, got {v.shape}")
        if v.shape[-1] != rows:
            raise ValueError(f"v_in has {v.shape[-1]} values per vector but the crossbar has {rows} rows "
                             f"(expected shape (batch, {rows}) or ({rows},))")
        return (v[None, :] if v.ndim == 1 else v), v.ndim == 1

    def element_parameters(self, **overrides) -> list:
        """Element-group parameter arrays with some quantities replaced, checked before any work.

        Keyword arguments: any of :data:`xbarsolve._parameters.PARAMETERS` -- ``conductances``
        (S), ``v_gate`` (V), ``r_source``, ``r_sink``, ``r_wire_row``, ``r_wire_col`` (Ω);
        ``None`` keeps the compiled value.  The crossbar itself is not changed.
        """
        return element_parameters(self, self.equations.params, overrides)

    # ------------------------------------------------------------------- solve
    def operating_point(self, v_in, *, x0=None, keep_jacobians: bool = True, **overrides) -> OperatingPoint:
        """Solve the circuit and return the raw state (for results and for gradients).

        Arguments as :meth:`solve`; the results keep a batch axis.  ``keep_jacobians`` keeps
        the linear solver's state of each sample's final Jacobian for gradients; without it
        memory stays bounded for large batches.
        """
        v, _ = self.check_inputs(v_in)
        return self.operating_point_with(v, self.element_parameters(**overrides), x0, keep_jacobians)

    def operating_point_with(self, v: np.ndarray, params: list, x0=None,
                             keep_jacobians: bool = True, equations=None) -> OperatingPoint:
        """:meth:`operating_point` for inputs already checked (``v``: (batch, rows) V, from
        :meth:`check_inputs`) and element parameters already built (from :meth:`element_parameters`),
        as the autodiff glue does to check everything before any work.  ``equations``: the
        :meth:`equations_for` ``params``, when the caller solves several batches with them."""
        eqs = self.equations_for(params) if equations is None else equations
        fixed_v = self.netlist.fixed_voltages(v)
        if x0 is not None:
            x0 = self._check_x0(x0, v.shape[0])
        result = solve_dc(eqs, fixed_v, x0, self.options, self.linear_solver, keep_jacobians=keep_jacobians)
        return OperatingPoint(equations=eqs, result=result, fixed_voltages=fixed_v, v_in=v)

    def equations_for(self, params: list):
        """The circuit equations with element parameters ``params`` (the compiled ones when unchanged,
        so that what is cached with them -- a linear circuit's factorization -- is reused)."""
        unchanged = all(a is b for a, b in zip(params, self.equations.params))
        return self.equations if unchanged else self.equations.with_params(params)

    def _check_x0(self, x0, batch: int) -> np.ndarray:
        x0 = checks.real_array("x0", x0)
        if x0.shape != (batch, self.netlist.n_free):
            raise ValueError(f"x0 must have shape {(batch, self.netlist.n_free)}, got {x0.shape}")
        return x0

    def solve(self, v_in, *, x0=None, outputs=None, **overrides) -> CrossbarSolution:
        """DC operating point for input voltages ``v_in`` (V), shape (batch, rows) or (rows,).

        Keyword arguments replace the crossbar's own values for this solve, without
        recompiling it: ``conductances`` (S, (rows, cols)), ``v_gate`` (V, scalar or one per
        gate line), ``r_source`` (Ω, scalar or (rows,)), ``r_sink`` (Ω, scalar or (cols,)),
        ``r_wire_row``, ``r_wire_col`` (Ω, scalars).  A resistance compiled as 0 Ω (merged
        nodes) must stay 0 and a non-zero one non-zero.  ``x0`` (V, (batch, n_free)) is an
        initial guess for the free node voltages (default 0 V).  ``outputs``: the names of the
        results to compute (fields of :class:`CrossbarSolution`, e.g. ``("column_currents",)``);
        the others are None and cost nothing.  Default None: every result.  Large batches are
        solved in chunks, so that memory grows only with what is kept.  Raises
        ConvergenceError if the solve fails.
        """
        names = self.readouts.check_results(outputs)
        v, one_d = self.check_inputs(v_in)
        params = self.element_parameters(**overrides)
        batch = v.shape[0]
        if x0 is not None:
            x0 = self._check_x0(x0, batch)
        eqs = self.equations_for(params)
        chunk = self._solve_chunk(batch)
        parts = []
        for start in range(0, max(batch, 1), chunk):
            rows = slice(start, min(batch, start + chunk))
            op = self.operating_point_with(v[rows], params, None if x0 is None else x0[rows],
                                           keep_jacobians=False, equations=eqs)
            parts.append(self.readouts.solution(op, names))
        solution = CrossbarSolution.stacked(parts, batch)
        return solution.squeezed() if one_d else solution

    #: Memory (bytes) the per-sample arrays of one chunk of ``solve`` may take (node vectors,
    #: element currents, results); the solver's own working arrays are bounded separately.
    SOLVE_CHUNK_MEMORY = 64 * 2 ** 20

    def _solve_chunk(self, batch: int) -> int:
        per_sample = 8 * (8 * self.netlist.n_free + 2 * sum(g.term_a.size for g in self.netlist.groups))
        return max(1, min(max(batch, 1), self.SOLVE_CHUNK_MEMORY // per_sample))
