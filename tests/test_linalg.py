"""Direct linear solvers through the linear-solver protocol: dense agreement, transpose solves,
batch states (take/put), singularity, the registry."""
import numpy as np
import pytest
import scipy.sparse as sp

from xbarsolve import NewtonOptions
from xbarsolve.linear_solvers import (AutoSolver, DiagonalSolver, JacobianPattern, KrylovSolver, SparseLU,
                                      SuperLU, linear_solver)

SOLVERS = {"lu": SparseLU(), "superlu": SuperLU()}


def random_column_dominant(n, density, rng, batch):
    """Structurally symmetric pattern, values column diagonally dominant but unsymmetric."""
    a = sp.random(n, n, density=density, random_state=np.random.RandomState(rng.integers(1 << 31)))
    pattern = ((a + a.T) != 0).astype(float) + sp.eye(n)
    pattern = pattern.tocsc()
    pattern.sort_indices()
    values = []
    for _ in range(batch):
        m = pattern.copy()
        m.data = -rng.uniform(0.1, 1.0, size=m.data.size)
        m = m.tocsc()
        d = np.asarray(abs(m).sum(axis=0)).ravel()
        m.setdiag(d * rng.uniform(1.0, 1.5, size=n))  # dominant
        m.sort_indices()
        values.append(m.data.copy())
    pattern = JacobianPattern(n, pattern.indptr.astype(np.int64), pattern.indices.astype(np.int64))
    return pattern, np.array(values)


@pytest.mark.parametrize("name", sorted(SOLVERS))
@pytest.mark.parametrize("n, density", [(1, 1.0), (7, 0.3), (60, 0.05), (300, 0.01)])
def test_solves_match_dense(name, n, density):
    rng = np.random.default_rng(n)
    pattern, values = random_column_dominant(n, density, rng, batch=3)
    plan = SOLVERS[name].analyse(pattern)
    sel = np.array([0, 2])
    state = plan.init(values, sel)
    assert state.ok.all()
    b = rng.normal(size=(2, n))
    x = plan.solve(state, b)
    xt = plan.solve(state, b, transpose=True)
    for row, s in enumerate(sel):
        dense = sp.csc_matrix((values[s], pattern.indices, pattern.indptr), shape=(n, n)).toarray()
        # dominant matrices have condition numbers of O(10): 1e-12 is generous for float64
        np.testing.assert_allclose(dense @ x[row], b[row], atol=1e-12 * np.abs(b).max())
        np.testing.assert_allclose(dense.T @ xt[row], b[row], atol=1e-12 * np.abs(b).max())
    # a state's rows, taken and put into another state, solve exactly as before
    kept = plan.empty_state(3)
    assert not kept.ok.any()
    kept.put(np.array([2]), state.take(np.array([0])))
    assert kept.ok.tolist() == [False, False, True]
    again = plan.solve(kept, np.stack([b[1], b[1], b[0]]), transpose=True)
    np.testing.assert_array_equal(again[2], xt[0])
    assert np.isnan(again[:2]).all()


def test_sparse_lu_eliminates_in_a_minimum_degree_order():
    """The plan orders the unknowns itself (minimum degree on Aᵀ+A, as SuperLU's MMD_AT_PLUS_A):
    with that order and no pivoting its fill equals SuperLU's, and is far below the natural order's."""
    import scipy.sparse.linalg as spla
    rng = np.random.default_rng(3)
    pattern, values = random_column_dominant(200, 0.02, rng, batch=1)
    plan = SparseLU().analyse(pattern)
    a = sp.csc_matrix((values[0], pattern.indices, pattern.indptr), shape=(200, 200))
    options = dict(diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    mmd = spla.splu(a, permc_spec="MMD_AT_PLUS_A", **options)
    natural = spla.splu(a, permc_spec="NATURAL", **options)
    # SuperLU stores the unit diagonal of L too
    assert plan.nnz_factors == mmd.L.nnz + mmd.U.nnz - 200
    assert plan.nnz_factors < 0.7 * (natural.L.nnz + natural.U.nnz - 200)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_singular_matrix_is_flagged(name):
    pattern = JacobianPattern(2, np.array([0, 2, 4]), np.array([0, 1, 0, 1]))
    values = np.array([[1.0, -1.0, -1.0, 1.0]])  # rank 1
    plan = SOLVERS[name].analyse(pattern)
    state = plan.init(values)
    assert not state.ok[0]
    assert np.isnan(plan.solve(state, np.ones((1, 2)))).all()


def test_diagonal_solver():
    pattern = JacobianPattern(3, np.arange(4), np.arange(3))
    plan = DiagonalSolver().analyse(pattern)
    state = plan.init(np.array([[2.0, 4.0, 0.5], [1.0, 0.0, 1.0]]))
    assert state.ok.tolist() == [True, False]
    np.testing.assert_array_equal(plan.solve(state, np.ones((2, 3)))[0], [0.5, 0.25, 2.0])
    with pytest.raises(ValueError, match="unknowns do not couple"):
        DiagonalSolver().analyse(JacobianPattern(2, np.array([0, 2, 4]), np.array([0, 1, 0, 1])))


def test_auto_chooses_from_the_structure():
    diagonal = JacobianPattern(3, np.arange(4), np.arange(3))
    coupled = JacobianPattern(2, np.array([0, 2, 4]), np.array([0, 1, 0, 1]))
    sided = JacobianPattern(2, coupled.indptr, coupled.indices, np.array([0, 1]))
    assert AutoSolver().choose(diagonal) == DiagonalSolver()
    assert AutoSolver().choose(coupled) == SparseLU()
    assert AutoSolver().choose(sided) == KrylovSolver()


def test_solvers_by_name_and_by_object():
    assert linear_solver("lu") == SparseLU()
    assert NewtonOptions(linear_solver="krylov").linear_solver == KrylovSolver()
    custom = KrylovSolver(rtol=1e-12, max_iterations=5)
    assert NewtonOptions(linear_solver=custom).linear_solver is custom
    with pytest.raises(ValueError, match="must be a LinearSolver or one of"):
        NewtonOptions(linear_solver="klu")
    with pytest.raises(TypeError, match="must be a LinearSolver or a name, got int"):
        NewtonOptions(linear_solver=3)
