"""Batches in parallel (xbarsolve._threads): slices cover the batch, errors propagate, and the
answer does not depend on the number of threads (solutions bit for bit; parameter gradients,
summed over the batch slice by slice, to rounding of that sum).

White-box in part: the thread pool (``batched``, ``over_batch``) is internal; the rest goes
through the public API."""
import numba
import numpy as np
import pytest
import torch

from xbarsolve import Crossbar
from xbarsolve.autodiff import crossbar_currents
from xbarsolve._threads import batched, over_batch


@pytest.mark.parametrize("n", [1, 2, 3, 17])
def test_slices_cover_the_batch_once(n):
    seen = []
    over_batch(n, lambda a, b: seen.extend(range(a, b)))
    assert sorted(seen) == list(range(n))


def test_errors_in_any_slice_propagate():
    def work(a, b):
        if b == 5:  # the last slice, run in a pool thread when there are 2 threads or more
            raise ValueError("slice failed")
    with pytest.raises(ValueError, match="slice failed"):
        over_batch(5, work)


def test_batched_kernel_slices_only_the_batch_arguments():
    @numba.njit(nogil=True)
    def scale_rows(x, factor, out):
        for s in range(x.shape[0]):
            out[s] = x[s] * factor[0]

    x = np.arange(12.0).reshape(6, 2)
    out = np.zeros_like(x)
    batched(scale_rows, (0, 2))(x, np.array([3.0]), out)
    np.testing.assert_array_equal(out, 3.0 * x)


def test_answers_and_gradients_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(5)
    g = rng.uniform(3e-6, 3e-5, (8, 6))
    v = rng.uniform(0.0, 0.5, (5, 8))
    xb = Crossbar(g, r_source=50.0, r_sink=50.0, r_wire=2.0)
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, before):
            numba.set_num_threads(threads)
            gt = torch.tensor(g, requires_grad=True, dtype=torch.float64)
            i = crossbar_currents(xb, torch.tensor(v, dtype=torch.float64), conductances=gt)
            (i ** 2).sum().backward()
            results.append((xb.solve(v).column_currents, gt.grad.numpy()))
    finally:
        numba.set_num_threads(before)
    (i1, g1), (i2, g2) = results
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_allclose(g1, g2, rtol=1e-14, atol=0.0)
