"""neat.mapping, neat.layers, neat.circuit: crossbar layers against torch and against xbarsolve.

Tolerances:
* ``ideal`` vs torch: the mapping is an exact scaling, so float64 agrees to 1e-12 relative and float32
  to 1e-6 of the output scale (a few float32 ulps of the products).
* ``cell`` vs the exact cells: each cell current is within ``e·G_ON·V_max`` of the exact one, with
  ``e`` the expansion's *measured* error (1.1× for points off the validation grid, see
  test_neat_cell); a column sums ``R`` rows of two cells (G⁺, G⁻), so outputs are within
  ``2·R·e·G_ON·V_max`` times the current→output factor.
* ``circuit`` (zero parasitics) vs one big xbarsolve crossbar: both exact, tiles or not → 1e-8 relative.
"""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn as nn

from neat import (CircuitConfig, CrossbarConfig, CrossbarConv2d, CrossbarLinear, MappingConfig, convert,
                  crossbar_layers, set_fidelity, set_v_gate, unconvert)
from neat.cell import CellConfig
from neat.fidelity import IDEAL
from neat.mapping import (conductances_to_weights, currents_to_outputs, input_scale, inputs_to_voltages,
                          output_factor, quantize_adc, quantize_dac, weight_cutoff, weight_scale,
                          weights_to_conductances)
from xbarsolve import Crossbar

CELL = CellConfig()
VG = 0.9  # a gate voltage where the default cell is clearly non-linear (rank-2 expansion)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("neat-cache"))


def config(cache, **kw):
    kw.setdefault("v_gate", VG)
    return CrossbarConfig(cache_dir=cache, **kw)


def exact_linear(layer: nn.Linear, x, x_max, w_max, v_gate):
    """The layer computed by one xbarsolve crossbar per read phase (interleaved differential pairs)."""
    g_pos, g_neg = weights_to_conductances(layer.weight.detach().double(), w_max, CELL.g_on, CELL.g_off)
    g_phys = torch.stack([g_pos.T, g_neg.T], dim=-1).reshape(layer.in_features, -1).numpy()
    v_pos, v_neg = inputs_to_voltages(x.double(), x_max, CELL.v_max)
    xb = Crossbar(g_phys, cell="1t1r", transistor_side=CELL.transistor_side, v_gate=v_gate,
                  transistor=CELL.transistor)
    i = xb.solve(v_pos.numpy()).column_currents - xb.solve(v_neg.numpy()).column_currents
    i = torch.as_tensor(i[:, 0::2] - i[:, 1::2])
    return currents_to_outputs(i, x_max, w_max, CELL.v_max, CELL.g_on, CELL.g_off) + layer.bias.detach().double()


# ------------------------------------------------------------------------------ mapping
def test_mapping_round_trips():
    w = torch.randn(7, 5, dtype=torch.float64)
    w_max = weight_scale(w)
    g_pos, g_neg = weights_to_conductances(w, w_max, CELL.g_on, CELL.g_off)
    assert torch.all((g_pos >= CELL.g_off) & (g_pos <= CELL.g_on * (1 + 1e-12)))
    assert torch.all(torch.minimum(g_pos, g_neg) == CELL.g_off)  # one cell of each pair at G_OFF
    torch.testing.assert_close(conductances_to_weights(g_pos, g_neg, w_max, CELL.g_on, CELL.g_off), w,
                               rtol=1e-12, atol=1e-15)
    x = torch.randn(4, 5, dtype=torch.float64)
    x_max = input_scale(x, "sample")
    v_pos, v_neg = inputs_to_voltages(x, x_max, CELL.v_max)
    assert torch.all(v_pos >= 0) and torch.all(v_neg >= 0) and torch.all(v_pos * v_neg == 0)
    assert torch.isclose((v_pos + v_neg).amax(dim=1), torch.full((4,), CELL.v_max, dtype=torch.float64)).all()
    torch.testing.assert_close((v_pos - v_neg) * x_max / CELL.v_max, x, rtol=1e-12, atol=1e-15)
    # a linear crossbar and the output factor give back x·wᵀ
    i = (v_pos - v_neg) @ (g_pos - g_neg).T
    torch.testing.assert_close(i * output_factor(x_max, w_max, CELL.v_max, CELL.g_on, CELL.g_off), x @ w.T)
    # fixed scales clip
    v_pos, _ = inputs_to_voltages(torch.tensor([[3.0]]), input_scale(torch.tensor([[3.0]]), 1.5), CELL.v_max)
    assert v_pos.item() == pytest.approx(CELL.v_max)
    assert weight_cutoff(CELL.g_off + 0.25 * (CELL.g_on - CELL.g_off), 2.0, CELL.g_on, CELL.g_off) == \
        pytest.approx(0.5)
    assert weight_cutoff(float("nan"), 2.0, CELL.g_on, CELL.g_off) == 0.0


def test_quantizers_respect_bits():
    v = torch.rand(1000, dtype=torch.float64) * 0.6
    for bits in (1, 3, 6):
        vq = quantize_dac(v, 0.5, bits)
        assert vq.unique().numel() <= 2 ** bits
        assert vq.min() >= 0 and vq.max() <= 0.5 + 1e-15
        assert torch.all((vq - v.clamp(0, 0.5)).abs() <= 0.5 / (2 ** bits - 1) / 2 + 1e-15)
    i = torch.randn(1000, dtype=torch.float64)
    for bits in (2, 4, 8):
        iq = quantize_adc(i, 2.0, bits)
        assert iq.unique().numel() <= 2 ** bits - 1
        assert iq.abs().max() <= 2.0 + 1e-12
    # straight-through gradient inside the range, none beyond
    i = torch.tensor([0.3, 5.0], requires_grad=True)
    quantize_adc(i, 1.0, 4).sum().backward()
    assert i.grad.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(tile_cols=63), ValueError, "tile_cols"), (dict(tile_rows=0), ValueError, "tile_rows"),
    (dict(adc_bits=1), ValueError, "adc_bits"), (dict(dac_bits=2.5), TypeError, "dac_bits"),
    (dict(input_scale="max"), ValueError, "input_scale"), (dict(weight_scale=-1.0), ValueError, "weight_scale"),
])
def test_mapping_config_errors(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        MappingConfig(**kwargs)


# ------------------------------------------------------------------------------ ideal
@pytest.mark.parametrize("dtype, rel", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_ideal_equals_torch(cache, dtype, rel):
    torch.manual_seed(0)
    lin = nn.Linear(30, 9).to(dtype)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1).to(dtype)
    grouped = nn.Conv2d(4, 6, 3, padding="same", groups=2).to(dtype)
    x = torch.randn(5, 3, 30, dtype=dtype)
    xc = torch.randn(3, 4, 9, 9, dtype=dtype)
    for ref, inp, cls in ((lin, x, CrossbarLinear.from_linear), (conv, xc, CrossbarConv2d.from_conv2d),
                          (grouped, xc, CrossbarConv2d.from_conv2d)):
        layer = cls(ref, config(cache, fidelity="ideal"))
        y_ref = ref(inp)
        y = layer(inp)
        assert y.shape == y_ref.shape
        assert (y - y_ref).abs().max() <= rel * y_ref.abs().max()
        # gradients too (the detached scales make the mapping an exact linear rescaling)
        xi = inp.clone().requires_grad_()
        (gx, gw) = torch.autograd.grad(layer(xi).square().sum(), (xi, layer.weight))
        xr = inp.clone().requires_grad_()
        (gx_ref, gw_ref) = torch.autograd.grad(ref(xr).square().sum(), (xr, ref.weight))
        assert (gx - gx_ref).abs().max() <= 10 * rel * gx_ref.abs().max()
        assert (gw - gw_ref).abs().max() <= 10 * rel * gw_ref.abs().max()


def test_tiling_equals_untiled(cache):
    # larger than one tile in both directions: 150 inputs / 64 rows = 3 row tiles, 40 outputs / 8 = 5 column tiles
    torch.manual_seed(1)
    m = MappingConfig(tile_rows=64, tile_cols=16)
    lin = nn.Linear(150, 40).double()
    x = torch.randn(6, 150, dtype=torch.float64)
    untiled = CrossbarLinear.from_linear(lin, config(cache, fidelity="ideal", mapping=m))(x)
    tiled = CrossbarLinear.from_linear(lin, config(cache, fidelity="ideal", mapping=m, force_tiling=True))(x)
    torch.testing.assert_close(tiled, untiled, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(tiled, lin(x), rtol=1e-12, atol=1e-12)
    conv = nn.Conv2d(5, 7, 3, padding="same").double()  # 45 rows per patch > 16
    xc = torch.randn(2, 5, 6, 6, dtype=torch.float64)
    m16 = MappingConfig(tile_rows=16, tile_cols=4)
    c_tiled = CrossbarConv2d.from_conv2d(conv, config(cache, fidelity="ideal", mapping=m16, force_tiling=True))(xc)
    torch.testing.assert_close(c_tiled, conv(xc), rtol=1e-12, atol=1e-12)
    # the cell fidelity tiles identically (no ADC: tile partial sums add up exactly)
    cfg = config(cache, fidelity="cell", mapping=m16)
    a = CrossbarConv2d.from_conv2d(conv, cfg)(xc)
    b = CrossbarConv2d.from_conv2d(conv, config(cache, fidelity="cell", mapping=m16, force_tiling=True))(xc)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_adc_bits_respected(cache):
    torch.manual_seed(2)
    bits = 4
    lin = nn.Linear(12, 5, bias=False).double()
    x = torch.rand(40, 12, dtype=torch.float64)  # non-negative: phase 2 reads zeros
    m = MappingConfig(adc_bits=bits, input_scale=1.0, weight_scale=1.0)
    layer = CrossbarLinear.from_linear(lin, config(cache, fidelity="ideal", mapping=m))
    y = layer(x)
    step = (2 ** (bits - 1) - 1) ** -1 * 12 * (CELL.g_on - CELL.g_off) * CELL.v_max  # FS / codes, one tile
    codes = y / (step * output_factor(1.0, 1.0, CELL.v_max, CELL.g_on, CELL.g_off))
    torch.testing.assert_close(codes, codes.round(), rtol=0, atol=1e-9)
    assert codes.unique().numel() <= 2 ** bits - 1 and codes.abs().max() <= 2 ** (bits - 1) - 1
    # several tiles, cell fidelity: each tile and phase rounds once, so |y_q − y| <= tiles·2·step/2 (output units)
    m2 = MappingConfig(tile_rows=8, adc_bits=6, input_scale=3.0, weight_scale=1.0)
    lin2 = nn.Linear(20, 3, bias=False).double()
    xs = torch.randn(10, 20, dtype=torch.float64)
    yq = CrossbarLinear.from_linear(lin2, config(cache, mapping=m2))(xs)
    yf = CrossbarLinear.from_linear(lin2, config(cache, mapping=MappingConfig(input_scale=3.0, weight_scale=1.0)))(xs)
    fs = 8 * (CELL.g_on - CELL.g_off) * CELL.v_max
    bound = 3 * 2 * (fs / (2 ** 5 - 1)) / 2 * output_factor(3.0, 1.0, CELL.v_max, CELL.g_on, CELL.g_off)
    assert (yq - yf).abs().max() <= bound * (1 + 1e-9)
    assert (yq - yf).abs().max() > 0


def test_dac_bits_respected(cache):
    # with dac_bits the layer sees at most 2**bits voltages per phase: a 1-input layer has that many outputs
    lin = nn.Linear(1, 1, bias=False).double()
    x = torch.linspace(-1, 1, 301, dtype=torch.float64)[:, None]
    for fid in ("ideal", "cell"):
        m = MappingConfig(dac_bits=3, input_scale=1.0)
        y = CrossbarLinear.from_linear(lin, config(cache, fidelity=fid, mapping=m))(x)
        assert y.unique().numel() <= 2 * 2 ** 3 - 1  # both phases share the zero level


# ------------------------------------------------------------------------------ cell and circuit
def test_cell_float32_matches_float64(cache):
    # networks run float32; the cell path (float64 spline tables) must agree with float64 to float32 rounding
    torch.manual_seed(8)
    lin = nn.Linear(40, 7)
    x = torch.randn(4, 9, 40)  # leading dims are kept; the input scale is per item of dim 0
    y32 = CrossbarLinear.from_linear(lin, config(cache))(x)
    y64 = CrossbarLinear.from_linear(copy.deepcopy(lin).double(), config(cache))(x.double())
    assert y32.shape == (4, 9, 7) and y32.dtype == torch.float32
    assert (y32.double() - y64).abs().max() <= 1e-5 * y64.abs().max()


def test_cell_matches_xbarsolve_without_parasitics(cache):
    torch.manual_seed(3)
    lin = nn.Linear(24, 5).double()
    x = torch.randn(6, 24, dtype=torch.float64)
    layer = CrossbarLinear.from_linear(lin, config(cache, fidelity="cell"))
    y = layer(x)
    x_max, w_max = input_scale(x), weight_scale(lin.weight)
    y_exact = exact_linear(lin, x, x_max, w_max, VG)
    e = layer.expansion()
    bound = 2 * 24 * 1.1 * e.max_error * output_factor(x_max, w_max, CELL.v_max, CELL.g_on, CELL.g_off)
    assert torch.all((y - y_exact).abs() <= bound)
    # and the non-linearity is real: the ideal (linear-cell) layer is much further away than the cell layer
    assert (lin(x) - y_exact).abs().max() > 10 * (y - y_exact).abs().max()


def test_circuit_without_parasitics_equals_xbarsolve_and_cell(cache):
    torch.manual_seed(4)
    lin = nn.Linear(20, 6).double()
    x = torch.randn(3, 20, dtype=torch.float64)
    m = MappingConfig(tile_rows=8, tile_cols=4)  # 3 × 3 tiles, edge tiles padded
    y_circ = CrossbarLinear.from_linear(lin, config(cache, fidelity="circuit", mapping=m))(x)
    x_max, w_max = input_scale(x), weight_scale(lin.weight)
    torch.testing.assert_close(y_circ, exact_linear(lin, x, x_max, w_max, VG), rtol=1e-8, atol=1e-10)
    cell_layer = CrossbarLinear.from_linear(lin, config(cache, fidelity="cell", mapping=m))
    bound = 2 * 20 * 1.1 * cell_layer.expansion().max_error * output_factor(x_max, w_max, CELL.v_max, CELL.g_on,
                                                                           CELL.g_off)
    assert torch.all((cell_layer(x) - y_circ).abs() <= bound)


def test_circuit_with_parasitics_differentiable(cache):
    torch.manual_seed(5)
    lin = nn.Linear(4, 2).double()
    m = MappingConfig(tile_rows=4, tile_cols=4, input_scale=2.0, weight_scale=1.0)
    cfg = config(cache, fidelity="circuit", mapping=m, circuit=CircuitConfig(r_wire=5.0, r_source=100.0, r_sink=100.0))
    layer = CrossbarLinear.from_linear(lin, cfg)
    x = (torch.rand(2, 4, dtype=torch.float64) - 0.5).requires_grad_()
    # parasitics lower every current: the output moves away from the zero-parasitic solve
    y0 = CrossbarLinear.from_linear(lin, config(cache, fidelity="circuit", mapping=m))(x)
    assert (layer(x) - y0).abs().max() > 1e-6
    assert torch.autograd.gradcheck(lambda t: layer(t), (x,), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_cell_gradients_match_finite_differences(cache):
    torch.manual_seed(6)
    m = MappingConfig(input_scale=3.0, weight_scale=1.0)  # fixed scales: a smooth function of x and w
    lin = CrossbarLinear(6, 3, config=config(cache, mapping=m)).double()
    conv = CrossbarConv2d(2, 3, 3, padding=1, config=config(cache, mapping=m)).double()
    with torch.no_grad():
        lin.weight.uniform_(-0.9, 0.9)
        conv.weight.uniform_(-0.9, 0.9)
    x = torch.randn(2, 6, dtype=torch.float64, requires_grad=True)
    xc = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    from torch.func import functional_call
    for layer, inp in ((lin, x), (conv, xc)):
        w = layer.weight.detach().clone().requires_grad_()
        b = layer.bias.detach().clone().requires_grad_()
        assert torch.autograd.gradcheck(lambda t, w, b: functional_call(layer, {"weight": w, "bias": b}, (t,)),
                                        (inp, w, b), eps=1e-6, atol=1e-7, rtol=1e-5)


# ------------------------------------------------------------------------------ model surgery
def test_convert_and_unconvert(cache):
    torch.manual_seed(7)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                          nn.Sequential(nn.Conv2d(4, 4, 3), nn.ReLU()), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    ref = copy.deepcopy(model)
    x = torch.randn(2, 3, 6, 6)
    params = [id(p) for p in model.parameters()]
    keys = list(model.state_dict())
    convert(model, config(cache, fidelity="ideal"), v_gate=1.1)
    names = [n for n, _ in crossbar_layers(model)]
    assert names == ["0", "2.0", "4"]
    assert [id(p) for p in model.parameters()] == params  # the same Parameter objects
    assert list(model.state_dict()) == keys
    assert all(m.v_gate == 1.1 and m.fidelity is IDEAL for _, m in crossbar_layers(model))
    torch.testing.assert_close(model(x), ref(x), rtol=1e-5, atol=1e-5)
    set_v_gate(model, {"2.0": 0.85})
    assert model[2][0].v_gate == 0.85 and model[0].v_gate == 1.1
    set_fidelity(model, "cell")
    assert model(x).shape == (2, 3)
    unconvert(model)
    assert type(model[0]) is nn.Conv2d and type(model[4]) is nn.Linear and not crossbar_layers(model)
    assert [id(p) for p in model.parameters()] == params
    # a bare layer converts to its crossbar layer
    assert isinstance(convert(nn.Linear(2, 2), config(cache)), CrossbarLinear)


def test_layer_errors(cache):
    layer = CrossbarLinear(4, 2, config=config(cache, fidelity="ideal"))
    with pytest.raises(ValueError, match="input"):
        layer(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="fidelity"):
        layer.fidelity = "spice"
    with pytest.raises(TypeError, match="v_gate"):
        layer.v_gate = "1 V"
    with pytest.raises(TypeError, match="config"):
        CrossbarLinear(4, 2, config={"fidelity": "ideal"})
    with pytest.raises(ValueError, match="padding_mode"):
        CrossbarConv2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="unknown crossbar layers"):
        set_v_gate(nn.Sequential(layer), {"nope": 1.0})
    with pytest.raises(ValueError, match="r_wire"):
        CircuitConfig(r_wire=-1.0)
    with pytest.raises(TypeError, match="model"):
        convert("vgg")
