"""Cost of the ``cell`` fidelity: forward + backward of a VGG-style net, crossbar layers vs plain torch.

    python benchmarks/neat_layers.py [--batch 128] [--width 0.5] [--repeats 5] [--v-gate 1.0]

Builds VGG11 (CIFAR layout: 8 conv 3×3 + BatchNorm + ReLU, 5 max-pools, one
linear classifier; channel widths 64…512 times ``--width``) on 3×32×32 inputs,
then times one training step's forward + backward (cross-entropy, no optimizer
step) of the plain model and of the same model converted to crossbar layers
with ``cell`` fidelity (the paper's cell, default mapping, no ADC/DAC), in
alternation, on this machine's CPU threads.  Prints the medians and their
ratio, and writes benchmarks/results/neat_layers.json.  The expansion is built
(or loaded from the cache) before timing.  Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neat import CrossbarConfig, convert, crossbar_layers  # noqa: E402

VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def vgg(width: float, classes: int = 10) -> nn.Sequential:
    """VGG11 for 32×32 inputs with channel counts scaled by ``width``."""
    layers, c = [], 3
    for v in VGG11:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            out = max(8, int(round(v * width)))
            layers += [nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            c = out
    layers += [nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


def step(model, x, y):
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    return loss


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--width", type=float, default=0.5, help="channel width multiplier of VGG11 (1.0 = full)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--v-gate", type=float, default=1.0, help="gate voltage (V) of every layer")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "neat_layers.json"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    plain = vgg(args.width).train()
    cell = convert(copy.deepcopy(plain), CrossbarConfig(fidelity="cell"), v_gate=args.v_gate).train()
    ranks = sorted({m.expansion().rank for _, m in crossbar_layers(cell)})  # builds/loads before timing
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    for m in (plain, cell):  # warm-up
        step(m, x, y)
    times = {"plain": [], "cell": []}
    for _ in range(args.repeats):
        for name, m in (("plain", plain), ("cell", cell)):
            t0 = time.perf_counter()
            step(m, x, y)
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["cell"] / med["plain"]
    exp = crossbar_layers(cell)[0][1].expansion()
    result = {
        "benchmark": "VGG11-style forward+backward, cell fidelity vs plain torch",
        "batch": args.batch, "width": args.width, "input": [3, 32, 32], "v_gate_V": args.v_gate,
        "expansion_rank": ranks, "expansion_relative_error": exp.relative_error,
        "median_plain_s": med["plain"], "median_cell_s": med["cell"], "ratio": ratio,
        "times_plain_s": times["plain"], "times_cell_s": times["cell"], "repeats": args.repeats,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "machine": platform.machine(), "python": platform.python_version(),
    }
    print(f"VGG11 x{args.width} batch {args.batch}, fwd+bwd, {args.repeats} repeats, {torch.get_num_threads()} threads")
    print(f"  plain torch : median {med['plain'] * 1e3:8.1f} ms")
    print(f"  cell (k={ranks}): median {med['cell'] * 1e3:8.1f} ms")
    print(f"  ratio cell/plain = {ratio:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
