"""The configuration of a NEAT run: every field that decides its numbers, checked before any work.

:class:`PipelineConfig` is hashed into the run folder's ``state.json``; a resumed
run must have the same one.  ``QUICK`` and ``FULL`` are the CLI's presets.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from . import checks
from .cell import METRICS, CellConfig
from .data import DATASETS
from .energy import EnergyConstants
from .models import MODELS

__all__ = ["PipelineConfig", "ConfigError", "WEIGHT_SCALE_MODES", "QUICK", "FULL"]

WEIGHT_SCALE_MODES = ("global", "layer")


class ConfigError(ValueError):
    """A configuration that is well-formed but cannot run (e.g. a NEAT target V_G with no linear range)."""


@dataclass
class PipelineConfig:
    """Everything that determines a run's numbers (hashed for ``--resume``).

    Data: ``dataset`` ("fashion_mnist", "cifar10", "cifar100", "synthetic"), ``data_dir``,
    ``train_subset``/``test_subset`` (images kept, None = all; deterministic), ``augment``.
    Model: ``model`` ("vgg11", "resnet18", "small_cnn"), ``width`` (channel multiplier).
    Baseline: ``epochs``, ``batch_size``, ``lr`` (Adam, cosine to 0), ``weight_decay``, ``seed`` (>= 0).
    Crossbar: ``metric``/``tolerance`` of the cell's linear range, ``weight_scale_mode``
    ("global": one w_max for the whole network; "layer"), ``sweep_v_gates`` (V),
    ``reference_v_gate`` (V, energy baseline), grid ``vg_min``…``vg_max`` step ``vg_step`` (V).
    NEAT: ``neat_v_gate`` (V; None = automatic: the lowest grid V_G whose linear range keeps at
    least ``neat_min_span`` of the conductance span, ``G_cut − G_OFF >= neat_min_span·ΔG``, i.e.
    ``W_cut >= neat_min_span·w_max``; the paper's 0.8 V cut-off is 0.31 of the span),
    ``neat_iterations``, ``neat_lr`` (Adam), ``neat_epochs_per_iter``, ``neat_iter_samples``
    (training images per iteration, None = all), ``neat_eval_samples`` (test images for the
    per-iteration crossbar accuracy, 0 = skip), ``neat_final_clip``.
    Cell fine-tune: ``cell_finetune`` (on/off), ``cellft_epochs``, ``cellft_lr``, ``cellft_samples``.
    Gate control: ``coverage`` (fraction of a layer's weights that must be linear).
    Energy: ``energy_samples`` (test images), ``energy_constants`` (dict of :class:`EnergyConstants` fields).
    Arithmetic: ``eval_batch`` (images per evaluation batch), ``train_threads`` (torch threads of every
    training step: torch's backward reductions depend on the thread count, so it is part of the
    configuration; see :mod:`neat.threads`).
    """

    dataset: str = "fashion_mnist"
    data_dir: str | None = None
    train_subset: int | None = 3000
    test_subset: int | None = 1000
    augment: bool = False
    model: str = "vgg11"
    width: float = 0.25
    epochs: int = 2
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 5e-4
    seed: int = 0
    metric: str = "ideal"
    tolerance: float = 0.025
    weight_scale_mode: str = "global"
    sweep_v_gates: tuple = (1.3, 1.0, 0.9, 0.8, 0.75)
    reference_v_gate: float = 1.0
    vg_min: float = 0.6
    vg_max: float = 1.4
    vg_step: float = 0.05
    neat_v_gate: float | None = None
    neat_min_span: float = 0.25
    neat_iterations: int = 30
    neat_lr: float = 1e-5
    neat_epochs_per_iter: int = 1
    neat_iter_samples: int | None = None
    neat_eval_samples: int = 500
    neat_final_clip: bool = False
    cell_finetune: bool = True
    cellft_epochs: int = 1
    cellft_lr: float = 1e-4
    cellft_samples: int | None = None
    coverage: float = 1.0
    energy_samples: int = 128
    energy_constants: dict = field(default_factory=dict)
    eval_batch: int = 500
    train_threads: int = 1

    def __post_init__(self):
        checks.choice("dataset", self.dataset, DATASETS)
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise TypeError(f"data_dir must be a path string or None, got {type(self.data_dir).__name__}")
        for name in ("train_subset", "test_subset", "neat_iter_samples", "cellft_samples"):
            checks.optional(checks.integer, name, getattr(self, name), low=1)
        for name in ("augment", "neat_final_clip", "cell_finetune"):
            checks.boolean(name, getattr(self, name))
        checks.choice("model", self.model, MODELS)
        checks.real("width", self.width, low=0.0, low_open=True, high=16.0)
        for name in ("epochs", "neat_iterations", "cellft_epochs", "neat_eval_samples", "seed"):
            checks.integer(name, getattr(self, name), low=0)
        for name in ("batch_size", "neat_epochs_per_iter", "energy_samples", "eval_batch", "train_threads"):
            checks.integer(name, getattr(self, name), low=1)
        for name in ("lr", "neat_lr", "cellft_lr"):
            checks.positive(name, getattr(self, name))
        checks.non_negative("weight_decay", self.weight_decay)
        checks.choice("metric", self.metric, METRICS)
        checks.real("tolerance", self.tolerance, low=0.0, low_open=True, high=1.0, high_open=True)
        checks.choice("weight_scale_mode", self.weight_scale_mode, WEIGHT_SCALE_MODES)
        if isinstance(self.sweep_v_gates, (str, bytes)) or not hasattr(self.sweep_v_gates, "__iter__"):
            raise TypeError(f"sweep_v_gates must be a sequence of gate voltages (V), "
                            f"got {type(self.sweep_v_gates).__name__}")
        self.sweep_v_gates = tuple(checks.positive("sweep_v_gates entry", v, unit="V") for v in self.sweep_v_gates)
        if not self.sweep_v_gates:
            raise ValueError("sweep_v_gates must not be empty")
        for name in ("reference_v_gate", "vg_min", "vg_max", "vg_step"):
            checks.positive(name, getattr(self, name), unit="V")
        if not self.vg_min < self.vg_max:
            raise ValueError(f"vg_min must be < vg_max, got {self.vg_min}, {self.vg_max}")
        checks.optional(checks.positive, "neat_v_gate", self.neat_v_gate, unit="V")
        checks.fraction("neat_min_span", self.neat_min_span)
        checks.fraction("coverage", self.coverage)
        if not isinstance(self.energy_constants, dict):
            raise TypeError(f"energy_constants must be a dict, got {type(self.energy_constants).__name__}")
        EnergyConstants(**self.energy_constants)  # validates

    def v_grid(self) -> tuple:
        """The gate-control grid (V): vg_min … vg_max in vg_step, rounded to 1 µV."""
        n = int(math.floor((self.vg_max - self.vg_min) / self.vg_step + 1e-9))
        return tuple(round(self.vg_min + i * self.vg_step, 6) for i in range(n + 1))

    def cell(self) -> CellConfig:
        return CellConfig(metric=self.metric, tolerance=self.tolerance)

    def to_json(self) -> dict:
        return asdict(self)


#: ``python -m neat.train`` with no arguments (``--quick``): all stages, ≤ 10 min on 2 CPU cores.
QUICK = dict(model="vgg11", width=0.25, train_subset=3000, test_subset=1000, epochs=3, neat_iterations=5,
             neat_iter_samples=1000, neat_eval_samples=300, cellft_epochs=1, cellft_samples=1500, energy_samples=64,
             coverage=0.99)
#: ``--full``: VGG11 on Fashion-MNIST sized for ~45 min on a shared 2-core CPU.
FULL = dict(model="vgg11", width=0.25, train_subset=15000, test_subset=4000, epochs=6, neat_iterations=30,
            neat_iter_samples=1500, neat_eval_samples=300, cellft_epochs=2, cellft_samples=4000, energy_samples=256,
            coverage=0.99, sweep_v_gates=(1.3, 1.0, 0.9, 0.8, 0.75, 0.7, 0.65))
