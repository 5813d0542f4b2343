"""Sparse LU backends: agreement with dense solves, transpose solves, singularity."""
import numpy as np
import pytest
import scipy.sparse as sp

from xbarsolve.linalg import make_lu


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
    return pattern.indptr, pattern.indices, np.array(values)


@pytest.mark.parametrize("backend", ["numba", "superlu"])
@pytest.mark.parametrize("n, density", [(1, 1.0), (7, 0.3), (60, 0.05), (300, 0.01)])
def test_solves_match_dense(backend, n, density):
    rng = np.random.default_rng(n)
    indptr, indices, values = random_column_dominant(n, density, rng, batch=3)
    lu = make_lu(backend, n, indptr, indices)
    sel = np.array([0, 2])
    fb = lu.factorize(values, sel)
    assert fb.ok.all()
    b = rng.normal(size=(2, n))
    x = fb.solve(b)
    xt = fb.solve(b, transpose=True)
    for row, s in enumerate(sel):
        dense = sp.csc_matrix((values[s], indices, indptr), shape=(n, n)).toarray()
        # dominant matrices have condition numbers of O(10): 1e-12 is generous for float64
        np.testing.assert_allclose(dense @ x[row], b[row], atol=1e-12 * np.abs(b).max())
        np.testing.assert_allclose(dense.T @ xt[row], b[row], atol=1e-12 * np.abs(b).max())
        f = fb.factor(row)
        np.testing.assert_allclose(f.solve(b[row]), x[row], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(f.solve_transpose(b[row]), xt[row], rtol=1e-13, atol=1e-15)
        multi = f.solve_transpose(np.stack([b[row], 2 * b[row]], axis=1))
        np.testing.assert_allclose(multi[:, 1], 2 * xt[row], rtol=1e-13, atol=1e-15)


def test_numba_fill_is_no_worse_than_superlu_natural():
    rng = np.random.default_rng(3)
    indptr, indices, values = random_column_dominant(200, 0.02, rng, batch=1)
    numba_lu = make_lu("numba", 200, indptr, indices)
    import scipy.sparse.linalg as spla
    a = sp.csc_matrix((values[0], indices, indptr), shape=(200, 200))
    ref = spla.splu(a, permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    # same order, no pivoting: the same fill (SuperLU stores the unit diagonal of L too)
    assert numba_lu.nnz_factors == ref.L.nnz + ref.U.nnz - 200


@pytest.mark.parametrize("backend", ["numba", "superlu"])
def test_singular_matrix_is_flagged(backend):
    indptr = np.array([0, 2, 4])
    indices = np.array([0, 1, 0, 1])
    values = np.array([[1.0, -1.0, -1.0, 1.0]])  # rank 1
    fb = make_lu(backend, 2, indptr, indices).factorize(values, np.array([0]))
    assert not fb.ok[0]
    assert np.isnan(fb.solve(np.ones((1, 2)))).all()
    assert fb.factor(0) is None


def test_unknown_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        make_lu("klu", 1, np.array([0, 1]), np.array([0]))
