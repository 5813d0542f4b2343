"""``python -m neat.compound``: how IR drop and transistor non-linearity compound, layer by layer.

A whole network at ``circuit`` fidelity costs minutes per image on two cores (docs/performance.md),
so an accuracy with parasitics on enough test images for ±1 point is out of reach here.  What
*can* be measured exactly is each crossbar layer's error on its own inputs: the inputs the layer
receives in the ideal network (so one layer's error does not feed the next), laid on its tiles,
solved four ways:

==================  ==============================================================================
variant             what the tiles are
==================  ==============================================================================
``ideal``           linear cells, no wires: ``I = (V⁺ − V⁻)·(G⁺ − G⁻)ᵀ`` summed over row tiles
``nonlinearity``    the exact 1T-1R cell (xbarsolve, every resistance 0 Ω: each cell on its own)
``ir_drop``         passive 1R cells (the memristor alone) with the wires, driver and sink resistances
``both``            the 1T-1R cells with the wires, driver and sink resistances (``circuit`` fidelity)
==================  ==============================================================================

For each layer, with ``e_v = I_v − I_ideal`` over the differential column currents of a seeded
sample of its input vectors (no ADC: analog errors only), relative to the RMS of ``I_ideal``:
``rms`` (‖e_v‖ over ‖I_ideal‖, both as RMS), ``gain`` (the least-squares slope of I_v on
I_ideal: < 1 is a systematic attenuation), ``scatter`` (what the gain does not explain), and
the compounding of the two effects: ``interaction`` = RMS(e_both − e_nonlinearity − e_ir_drop)
and ``ratio`` = RMS(e_both) / (RMS(e_nonlinearity) + RMS(e_ir_drop)) (1: the errors add up as
magnitudes; < 1: they partly cancel or overlap; > 1: they amplify each other).

Also recorded: the wall time of the ``both`` solves, and from it an estimate of a whole image at
``circuit`` fidelity (each layer's time scaled by its input vectors per image over those sampled).

Results: JSON (``--out``; partial results after each layer, resumed by the same command) and a
PNG of the per-layer errors next to it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoint import atomic_write_json, config_hash
from .circuit import CircuitConfig, circuit_currents
from .evaluate import RUN_ERRORS, add_network_arguments, network_from_arguments
from .fidelity import IDEAL, Fidelity
from .layers import crossbar_layers

__all__ = ["VARIANTS", "LayerInputs", "record_layer_inputs", "variant_currents", "decompose", "compound_errors",
           "main"]

VARIANTS = ("ideal", "nonlinearity", "ir_drop", "both")


@dataclasses.dataclass
class LayerInputs:
    """One crossbar layer's tiled inputs in a forward pass: phase voltages ``v_pos``, ``v_neg``
    (M, R) V and the pairs' conductances ``g_pos``, ``g_neg`` (out, R) S, with the layer."""

    name: str
    layer: object
    v_pos: torch.Tensor
    v_neg: torch.Tensor
    g_pos: torch.Tensor
    g_neg: torch.Tensor


@dataclasses.dataclass(frozen=True)
class _Recording(Fidelity):
    """The ideal fidelity, tile by tile, keeping every layer's tiled inputs."""

    name = "ideal (recording)"
    needs_tiles = True
    record: dict = dataclasses.field(default_factory=dict, compare=False)

    def tiled_columns(self, layer, v_pos, v_neg, g_pos, g_neg):
        self.record.setdefault(id(layer), []).append((v_pos.detach(), v_neg.detach(), g_pos.detach(),
                                                     g_neg.detach()))
        return IDEAL.tiled_columns(layer, v_pos, v_neg, g_pos, g_neg)


@torch.no_grad()
def record_layer_inputs(net, x: torch.Tensor) -> list:
    """:class:`LayerInputs` of every crossbar layer of ``net`` for images ``x``, from one forward pass
    at the ideal fidelity (each layer sees the ideal network's activations).  The layers' fidelities
    are restored afterwards."""
    layers = crossbar_layers(net)
    if not layers:
        raise ValueError("the network has no crossbar layers (convert it with neat.convert first)")
    recording = _Recording()
    saved = [(m, m.fidelity) for _, m in layers]
    try:
        for _, m in layers:
            m.fidelity = recording
        net.eval()
        net(x)
    finally:
        for m, f in saved:
            m.fidelity = f
    out = []
    for name, m in layers:
        calls = recording.record.get(id(m), [])
        if not calls:
            continue  # a layer the forward pass did not reach
        v_pos = torch.cat([c[0] for c in calls]).to(torch.float64)
        v_neg = torch.cat([c[1] for c in calls]).to(torch.float64)
        out.append(LayerInputs(name, m, v_pos, v_neg, calls[0][2].to(torch.float64), calls[0][3].to(torch.float64)))
    return out


def variant_currents(inputs: LayerInputs, variant: str, parasitics: CircuitConfig) -> torch.Tensor:
    """Differential column currents (A), (M, out), of a layer's inputs for one of :data:`VARIANTS`,
    without ADC; ``parasitics``: the wire, driver and sink resistances (Ω) of ``ir_drop`` and ``both``."""
    if variant == "ideal":
        return (inputs.v_pos - inputs.v_neg) @ (inputs.g_pos - inputs.g_neg).T
    circuits = {"nonlinearity": CircuitConfig(),
                "ir_drop": dataclasses.replace(parasitics, linear_cells=True),
                "both": dataclasses.replace(parasitics, linear_cells=False)}
    if variant not in circuits:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    cfg = inputs.layer.config
    return circuit_currents(inputs.v_pos, inputs.v_neg, inputs.g_pos, inputs.g_neg, cell=cfg.cell,
                            mapping=dataclasses.replace(cfg.mapping, adc_bits=None), circuit=circuits[variant],
                            v_gate=float(inputs.layer.v_gate))


def _rms(t: torch.Tensor) -> float:
    return float(torch.sqrt(torch.mean(t * t))) if t.numel() else 0.0


def decompose(currents: dict) -> dict:
    """The error measures of the module docstring from ``{variant: currents}`` (same shapes)."""
    ref = currents["ideal"]
    scale = _rms(ref)
    if not scale > 0.0:
        raise ValueError("the ideal currents are all zero: no error can be measured relative to them")
    errors = {v: currents[v] - ref for v in VARIANTS if v != "ideal"}
    ref_sq = float(torch.sum(ref * ref))
    out = {"ideal_rms_A": scale}
    for v, e in errors.items():
        gain = float(torch.sum(currents[v] * ref)) / ref_sq
        out[v] = {"rms": _rms(e) / scale, "gain": gain, "scatter": _rms(currents[v] - gain * ref) / scale,
                  "mean": float(torch.mean(e)) / scale}
    separate = out["nonlinearity"]["rms"] + out["ir_drop"]["rms"]
    out["interaction"] = _rms(errors["both"] - errors["nonlinearity"] - errors["ir_drop"]) / scale
    out["ratio"] = out["both"]["rms"] / separate if separate > 0.0 else math.nan
    return out


def _sample_rows(m: int, vectors: int, seed: int, layer_index: int) -> torch.Tensor:
    """A seeded sample of ``vectors`` of ``m`` row indices (all, in order, when m <= vectors)."""
    if m <= vectors:
        return torch.arange(m)
    gen = torch.Generator().manual_seed(seed * 1_000_003 + layer_index)
    return torch.sort(torch.randperm(m, generator=gen)[:vectors]).values


def compound_errors(net, x: torch.Tensor, *, parasitics: CircuitConfig, vectors: int = 128, seed: int = 0,
                    done: dict | None = None, on_layer=None, progress: bool = True) -> dict:
    """Per crossbar layer of ``net``, the error decomposition of :func:`decompose` on a seeded sample of
    ``vectors`` of its input vectors for images ``x``.

    ``done``: layer results already measured (name -> result), kept as they are; ``on_layer(name,
    result)`` is called after each new layer (for saving partial results).
    """
    if isinstance(vectors, bool) or not isinstance(vectors, int) or vectors < 1:
        raise ValueError(f"vectors must be an int >= 1, got {vectors!r}")
    if not isinstance(parasitics, CircuitConfig):
        raise TypeError(f"parasitics must be a CircuitConfig, got {type(parasitics).__name__}")
    done = dict(done or {})
    layers = record_layer_inputs(net, x)
    images = x.shape[0]
    for k, inputs in enumerate(tqdm(layers, desc="layers", unit="layer", disable=not progress)):
        if inputs.name in done:
            continue
        m = inputs.v_pos.shape[0]
        rows = _sample_rows(m, vectors, seed, k)
        sample = dataclasses.replace(inputs, v_pos=inputs.v_pos[rows], v_neg=inputs.v_neg[rows])
        currents, wall = {}, {}
        for variant in VARIANTS:
            t0 = time.perf_counter()
            currents[variant] = variant_currents(sample, variant, parasitics)
            wall[variant] = time.perf_counter() - t0
        result = decompose(currents)
        result.update({"vectors_per_image": m / images, "vectors_sampled": int(rows.numel()),
                       "rows": int(inputs.g_pos.shape[1]), "outputs": int(inputs.g_pos.shape[0]),
                       "v_gate": float(inputs.layer.v_gate), "wall_s": {v: round(t, 3) for v, t in wall.items()}})
        done[inputs.name] = result
        if on_layer is not None:
            on_layer(inputs.name, result)
    order = [i.name for i in layers]
    per_image = sum(done[n]["wall_s"]["both"] * done[n]["vectors_per_image"] / done[n]["vectors_sampled"]
                    for n in order)
    return {"layers": {n: done[n] for n in order},
            "circuit_seconds_per_image_estimate": per_image,
            "note": "estimate: each layer's 'both' solve time scaled from the sampled vectors to one image's "
                    "(identical vectors, which the circuit fidelity solves once, are not discounted)"}


def plot(result: dict, path) -> None:
    """Bar chart of each layer's relative RMS error per variant and their interaction (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["layers"])
    series = [("nonlinearity", "transistor non-linearity alone"), ("ir_drop", "IR drop alone (linear cells)"),
              ("both", "both (circuit)")]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(names) + 2), 4.0))
    width = 0.8 / (len(series) + 1)
    for j, (key, label) in enumerate(series):
        ax.bar([i + j * width for i in range(len(names))], [100 * result["layers"][n][key]["rms"] for n in names],
               width, label=label)
    ax.bar([i + len(series) * width for i in range(len(names))],
           [100 * result["layers"][n]["interaction"] for n in names], width, label="interaction", color="grey")
    ax.set_xticks([i + 1.5 * width for i in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylabel("RMS error / RMS ideal current (%)")
    ax.set_title("Per-layer column-current error on the ideal network's inputs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m neat.compound", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(p)
    p.add_argument("--images", type=int, default=4, help="first test images whose activations are used (default 4)")
    p.add_argument("--vectors", type=int, default=128,
                   help="input vectors sampled per layer (seeded; default 128)")
    p.add_argument("--seed", type=int, default=0, help="seed of the vector sample (default 0)")
    p.add_argument("--out", help="results JSON (default RUN/compound-STAGE-VG.json; a PNG beside it)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("images", "vectors"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    try:
        ctx, stage, v_gate, parasitics, net = network_from_arguments(args, fidelity="ideal")
    except RUN_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cfg = ctx.cfg
    x = ctx.data.x_test[:args.images]
    identity = {"run_config": config_hash(cfg.to_json()), "stage": stage, "v_gate": v_gate,
                "parasitics": dataclasses.asdict(parasitics), "images": int(x.shape[0]), "vectors": args.vectors,
                "seed": args.seed}
    out = Path(args.out or Path(args.run) / f"compound-{stage}-{v_gate:.4f}.json")
    partial = out.with_name(out.name + ".partial.json")
    done = {}
    if partial.is_file():
        saved = json.loads(partial.read_text())
        if saved.get("identity") == identity:
            done = saved["layers"]

    def save(name, result):
        done[name] = result
        atomic_write_json(partial, {"identity": identity, "layers": done})

    t0 = time.perf_counter()
    res = compound_errors(net, x, parasitics=parasitics, vectors=args.vectors, seed=args.seed, done=done,
                          on_layer=save, progress=not args.no_progress)
    atomic_write_json(out, {**identity, "run": str(args.run), **res, "wall_s": round(time.perf_counter() - t0, 2)})
    plot(res, out.with_suffix(".png"))
    if partial.exists():
        partial.unlink()
    print(json.dumps({"out": str(out), "layers": len(res["layers"]),
                      "circuit_seconds_per_image_estimate": round(res["circuit_seconds_per_image_estimate"], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
