"""Seconds per image of a whole network at ``circuit`` fidelity (every tile solved with parasitics).

    python benchmarks/network_circuit.py [--images 1] [--repeats 3] [--width 0.25] [--profile]
                                         [--reference-per-tile]

VGG11 ×``--width`` (``neat.models.VGG11``, 1 input channel, 10 classes, 28×28 images, the
Fashion-MNIST size) with seeded random weights, converted to crossbar layers at ``circuit``
fidelity with the issue's parasitics (wires 2.5 Ω, source and sink 50 Ω, 64×64 tiles, the
default cell), in eval mode.  Times the forward pass of ``--images`` seeded random images
(medians of ``--repeats``, each after one warm-up pass that compiles and caches every tile)
and prints seconds per image.  ``--reference-per-tile`` also runs the per-tile path
(``neat.circuit.circuit_currents(..., batched=False)``, the code before issue 16) once, interleaved,
and prints the ratio and the largest difference of the logits.  Results go to
``benchmarks/results/network_circuit.json``.  Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import neat  # noqa: E402
from neat import CircuitConfig, CrossbarConfig, convert  # noqa: E402
from neat import circuit as neat_circuit  # noqa: E402
from neat.models import VGG11  # noqa: E402

PARASITICS = CircuitConfig(r_wire=2.5, r_source=50.0, r_sink=50.0)


def build(width: float) -> torch.nn.Module:
    torch.manual_seed(0)
    model = VGG11(in_channels=1, num_classes=10, width=width, image_size=28)
    convert(model, CrossbarConfig(fidelity="circuit", circuit=PARASITICS))
    return model.eval()


def forward(model, images, batched: bool = True) -> tuple[float, torch.Tensor]:
    previous = neat_circuit.SHARE_IDENTICAL_INPUTS
    neat_circuit.SHARE_IDENTICAL_INPUTS = batched
    try:
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model(images)
        return time.perf_counter() - t0, out
    finally:
        neat_circuit.SHARE_IDENTICAL_INPUTS = previous


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--reference-per-tile", action="store_true")
    ap.add_argument("--output", default=str(Path(__file__).parent / "results" / "network_circuit.json"))
    args = ap.parse_args(argv)

    model = build(args.width)
    gen = torch.Generator().manual_seed(1)
    images = torch.rand(args.images, 1, 28, 28, generator=gen)
    load = [os.getloadavg()[0]]
    warm, out = forward(model, images)
    print(f"warm-up (compiles tiles): {warm:.2f} s for {args.images} image(s)")
    times, ref_times, diffs = [], [], []
    for r in range(args.repeats):
        if args.profile and r == 0:
            prof = cProfile.Profile()
            prof.enable()
        t, out = forward(model, images)
        if args.profile and r == 0:
            prof.disable()
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(25)
            print(s.getvalue())
        times.append(t / args.images)
        if args.reference_per_tile and r == 0:
            t_ref, out_ref = forward(model, images, batched=False)
            ref_times.append(t_ref / args.images)
            diffs.append(float((out - out_ref).abs().max() / out_ref.abs().max()))
        load.append(os.getloadavg()[0])
    med = statistics.median(times)
    print(f"circuit fidelity, VGG11 x{args.width}, 28x28, wires 2.5 ohm, source/sink 50 ohm, 64x64 tiles: "
          f"median {med:.2f} s/image (repeats: {', '.join(f'{t:.2f}' for t in times)}), "
          f"load {min(load):.1f}-{max(load):.1f}")
    record = dict(width=args.width, images=args.images, seconds_per_image=times, median=med,
                  warmup_seconds=warm, load=load, machine=platform.processor() or platform.machine(),
                  cpus=os.cpu_count(), torch_threads=torch.get_num_threads(), neat=neat.__name__)
    if ref_times:
        print(f"per-tile path (before issue 16): {ref_times[0]:.2f} s/image -> ratio "
              f"{ref_times[0] / med:.1f}x; logits differ by {diffs[0]:.2e} (relative to the largest)")
        record.update(per_tile_seconds_per_image=ref_times, logits_max_rel_diff=diffs)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
