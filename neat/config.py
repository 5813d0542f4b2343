"""The configuration of a NEAT run: every field that decides its numbers, checked before any work.

:class:`PipelineConfig` is hashed into the run folder's ``state.json``; a resumed
run must have the same one.  ``QUICK`` and ``FULL`` are the CLI's presets.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, field

from . import checks
from .cell import DEFAULT_WIDTH, METRICS, TRANSISTOR_SIDES, CellConfig, default_transistor
from .data import DATASETS
from .energy import EnergyConstants
from .models import MODELS

__all__ = ["PipelineConfig", "ConfigError", "WEIGHT_SCALE_MODES", "QUICK", "FULL"]

WEIGHT_SCALE_MODES = ("global", "layer")


class ConfigError(ValueError):
    """A configuration that is well-formed but cannot run (e.g. a NEAT target V_G with no linear range)."""


def _v_gate_tuple(name, values) -> tuple:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of gate voltages (V), got {type(values).__name__}")
    out = tuple(checks.positive(f"{name} entry", v, unit="V") for v in values)
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


@dataclass
class PipelineConfig:
    """Everything that determines a run's numbers (hashed for ``--resume``).

    **Data and model.** ``dataset`` ("fashion_mnist", "cifar10", "cifar100", "synthetic"),
    ``data_dir``, ``train_subset``/``test_subset`` (images kept, None = all; deterministic),
    ``augment``; ``model`` ("vgg11", "resnet18", "small_cnn") at channel multiplier ``model_width``.
    **Baseline.** ``epochs``, ``batch_size``, ``lr`` (Adam, cosine to 0), ``weight_decay``, ``seed`` (>= 0).
    **Cell.** ``card``: a SPICE NMOS model card file or a published card's name ("ptm45_lp",
    "ptm45_hp"; :mod:`neat.cards`), or "builtin" for the BsimLikeNMOS 45 nm HP core;
    ``transistor_side`` ("row"/"column"), ``transistor_width`` (m), ``v_max`` (V, largest read
    voltage), ``metric``/``tolerance`` of the linear range.  The default cell -- the PTM 45 nm LP
    card, row side, W = 3.5 µm, V_max = 0.2 V, the ideal metric -- is the one whose G_cut(V_G)
    best reproduces the paper's anchors among both PTM cards, both sides, W 0.1…20 µm, V_max
    0.2…0.5 V and the three metrics (docs/figures/neat_cell_search.md).
    **Mapping.** ``weight_scale_modes``: the mappings evaluated, each a full set of variants:
    "layer" (each layer's max|w| → G_ON, the usual crossbar mapping) and/or "global" (one network-wide
    w_max); the choice decides the per-layer V_G.
    **Gate voltages.** grid ``vg_min``…``vg_max`` step ``vg_step`` (V; Algorithm 1's search grid),
    ``sweep_v_gates`` (V, homogeneous evaluations), ``reference_v_gate`` (V, the energy baseline).
    **NEAT (Algorithm 2).** ``neat_v_gate`` (V; None = the lowest grid V_G whose linear range keeps at
    least ``neat_min_span`` of the conductance span, ``W_cut >= neat_min_span·w_max``; the paper's
    0.8 V cut-off is 0.31 of the span); ``neat_iterations`` (paper: 30), each clipping every mapped
    weight to ±W_cut and then training ``neat_epochs_per_iter`` passes over ``neat_iter_samples``
    training images (None = the full training set, as the paper) with Adam at ``neat_lr`` (paper:
    1e-5); ``neat_final_clip`` clips once more before every crossbar evaluation;
    ``neat_eval_samples`` test images for the per-iteration crossbar accuracy (0 = skip).
    ``neat_schedules``: extra ``(lr, iterations)`` schedules of the same algorithm (budget/lr sweep,
    first weight-scale mode only), each evaluated at V_target.
    **Controls.** ``controls``: also evaluate clipping without retraining and clipping followed by
    BatchNorm recalibration only (``recal_samples`` training images, None = all); ``controls_full_sweep``:
    over the whole homogeneous sweep (False: at V_target and the reference V_G only, plus Algorithm 1).
    **Cell fine-tune** (beyond the paper): ``cell_finetune``, ``cellft_epochs``, ``cellft_lr``, ``cellft_samples``.
    **Gate control (Algorithm 1).** ``coverages``: fractions of a layer's weights that must lie in the
    linear range; the first is the headline (paper: 1.0), the others relaxed variants.
    **Energy.** ``energy_samples`` (test images), ``energy_constants`` (dict of :class:`EnergyConstants`
    fields), ``energy_sensitivity`` (width, toggling and t_read table).
    **Circuit fidelity** (issue 13 part 5): ``circuit_samples`` test images (0 = skip) evaluated with
    parasitics ``circuit_r_wire``/``circuit_r_source``/``circuit_r_sink`` (Ω).
    **Arithmetic.** ``eval_batch`` (images per evaluation batch), ``train_threads`` (torch threads of every
    training step: torch's backward reductions depend on the thread count, so it is part of the
    configuration; see :mod:`neat.threads`).
    """

    dataset: str = "fashion_mnist"
    data_dir: str | None = None
    train_subset: int | None = 3000
    test_subset: int | None = 1000
    augment: bool = False
    model: str = "vgg11"
    model_width: float = 0.25
    epochs: int = 2
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 5e-4
    seed: int = 0
    card: str = "ptm45_lp"
    transistor_side: str = "row"
    transistor_width: float = DEFAULT_WIDTH
    v_max: float = 0.2
    metric: str = "ideal"
    tolerance: float = 0.025
    weight_scale_modes: tuple = ("layer", "global")
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
    neat_final_clip: bool = True
    neat_schedules: tuple = ()
    controls: bool = True
    controls_full_sweep: bool = True
    recal_samples: int | None = None
    cell_finetune: bool = True
    cellft_epochs: int = 1
    cellft_lr: float = 1e-4
    cellft_samples: int | None = None
    coverages: tuple = (1.0,)
    energy_samples: int = 128
    energy_constants: dict = field(default_factory=dict)
    energy_sensitivity: bool = True
    circuit_samples: int = 0
    circuit_r_wire: float = 2.0
    circuit_r_source: float = 100.0
    circuit_r_sink: float = 100.0
    eval_batch: int = 500
    train_threads: int = 1

    def __post_init__(self):
        checks.choice("dataset", self.dataset, DATASETS)
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise TypeError(f"data_dir must be a path string or None, got {type(self.data_dir).__name__}")
        if not isinstance(self.card, str):
            raise TypeError(f"card must be a card file path, a published card's name or 'builtin', "
                            f"got {type(self.card).__name__}")
        for name in ("train_subset", "test_subset", "neat_iter_samples", "cellft_samples", "recal_samples"):
            checks.optional(checks.integer, name, getattr(self, name), low=1)
        for name in ("augment", "neat_final_clip", "cell_finetune", "controls", "controls_full_sweep",
                     "energy_sensitivity"):
            checks.boolean(name, getattr(self, name))
        checks.choice("model", self.model, MODELS)
        checks.real("model_width", self.model_width, low=0.0, low_open=True, high=16.0)
        for name in ("epochs", "neat_iterations", "cellft_epochs", "neat_eval_samples", "seed", "circuit_samples"):
            checks.integer(name, getattr(self, name), low=0)
        for name in ("batch_size", "neat_epochs_per_iter", "energy_samples", "eval_batch", "train_threads"):
            checks.integer(name, getattr(self, name), low=1)
        for name in ("lr", "neat_lr", "cellft_lr"):
            checks.positive(name, getattr(self, name))
        checks.non_negative("weight_decay", self.weight_decay)
        checks.choice("transistor_side", self.transistor_side, TRANSISTOR_SIDES)
        checks.real("transistor_width", self.transistor_width, low=10e-9, high=1e-3, unit="m")
        checks.real("v_max", self.v_max, low=0.0, low_open=True, high=5.0, unit="V")
        checks.choice("metric", self.metric, METRICS)
        checks.real("tolerance", self.tolerance, low=0.0, low_open=True, high=1.0, high_open=True)
        if isinstance(self.weight_scale_modes, str) or not hasattr(self.weight_scale_modes, "__iter__"):
            raise TypeError(f"weight_scale_modes must be a sequence of {WEIGHT_SCALE_MODES}, "
                            f"got {type(self.weight_scale_modes).__name__}")
        self.weight_scale_modes = tuple(checks.choice("weight_scale_modes entry", m, WEIGHT_SCALE_MODES)
                                        for m in self.weight_scale_modes)
        if not self.weight_scale_modes or len(set(self.weight_scale_modes)) != len(self.weight_scale_modes):
            raise ValueError(f"weight_scale_modes must name each mode once, got {self.weight_scale_modes}")
        self.sweep_v_gates = _v_gate_tuple("sweep_v_gates", self.sweep_v_gates)
        for name in ("reference_v_gate", "vg_min", "vg_max", "vg_step"):
            checks.positive(name, getattr(self, name), unit="V")
        if not self.vg_min < self.vg_max:
            raise ValueError(f"vg_min must be < vg_max, got {self.vg_min}, {self.vg_max}")
        checks.optional(checks.positive, "neat_v_gate", self.neat_v_gate, unit="V")
        checks.fraction("neat_min_span", self.neat_min_span)
        if isinstance(self.neat_schedules, (str, bytes)) or not hasattr(self.neat_schedules, "__iter__"):
            raise TypeError("neat_schedules must be a sequence of (lr, iterations) pairs")
        schedules = []
        for item in self.neat_schedules:
            if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 2:
                raise ValueError(f"neat_schedules entries must be (lr, iterations) pairs, got {item!r}")
            schedules.append((checks.positive("neat_schedules lr", item[0]),
                              checks.integer("neat_schedules iterations", item[1], low=1)))
        self.neat_schedules = tuple(schedules)
        if isinstance(self.coverages, (str, bytes)) or not hasattr(self.coverages, "__iter__"):
            raise TypeError("coverages must be a sequence of fractions in (0, 1]")
        self.coverages = tuple(checks.fraction("coverages entry", c) for c in self.coverages)
        if not self.coverages or len(set(self.coverages)) != len(self.coverages):
            raise ValueError(f"coverages must name each coverage once, got {self.coverages}")
        for name in ("circuit_r_wire", "circuit_r_source", "circuit_r_sink"):
            checks.non_negative(name, getattr(self, name), unit="Ω")
        if not isinstance(self.energy_constants, dict):
            raise TypeError(f"energy_constants must be a dict, got {type(self.energy_constants).__name__}")
        EnergyConstants(**self.energy_constants)  # validates

    def v_grid(self) -> tuple:
        """The gate-control grid (V): vg_min … vg_max in vg_step, rounded to 1 µV."""
        n = int(math.floor((self.vg_max - self.vg_min) / self.vg_step + 1e-9))
        return tuple(round(self.vg_min + i * self.vg_step, 6) for i in range(n + 1))

    def transistor(self) -> tuple:
        """``(model, provenance)``: the selector transistor (card at ``transistor_width``, provenance
        ``"exact"``, or the built-in BsimLikeNMOS 45 nm HP core, provenance ``"builtin"``)."""
        from .cards import BUILTIN
        if self.card == BUILTIN:
            return dataclasses.replace(default_transistor(), w=self.transistor_width), "builtin"
        from .cards import load_transistor
        return load_transistor(self.card, self.transistor_width)

    def cell(self, transistor=None) -> CellConfig:
        """The cell of this configuration (``transistor``: an already loaded :meth:`transistor` model)."""
        transistor = self.transistor()[0] if transistor is None else transistor
        return CellConfig(v_max=self.v_max, transistor=transistor, transistor_side=self.transistor_side,
                          metric=self.metric, tolerance=self.tolerance)

    def to_json(self) -> dict:
        d = asdict(self)
        if self.card != "builtin":  # the card's contents decide the numbers, not its path
            from .cards import card_sha256
            try:
                d["card_sha256"] = card_sha256(self.card)
            except OSError as e:
                raise ConfigError(f"cannot read the transistor card {self.card}: {e}") from e
        return d


#: ``python -m neat.train`` with no arguments (``--quick``): every stage in a few minutes on 2 CPU cores.
QUICK = dict(model="vgg11", model_width=0.25, train_subset=3000, test_subset=1000, epochs=3, neat_iterations=5,
             neat_iter_samples=1000, neat_eval_samples=300, recal_samples=1000, cellft_epochs=1, cellft_samples=1500,
             energy_samples=64, weight_scale_modes=("layer", "global"), coverages=(1.0, 0.99),
             sweep_v_gates=(1.0, 0.9), energy_sensitivity=False)
#: ``--full``: VGG11 ×0.25 on Fashion-MNIST, Algorithm 2 as in the paper (30 full epochs at lr 1e-5).
FULL = dict(model="vgg11", model_width=0.25, train_subset=None, test_subset=None, epochs=10, neat_iterations=30,
            neat_iter_samples=None, neat_eval_samples=500, recal_samples=None, cellft_epochs=2, cellft_samples=None,
            energy_samples=256, weight_scale_modes=("layer", "global"), coverages=(1.0, 0.99),
            sweep_v_gates=(1.0, 0.9, 0.85, 0.8, 0.75, 0.7), controls_full_sweep=False)
