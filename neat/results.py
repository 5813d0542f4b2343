"""The typed results of the pipeline's stages (what ``state.json`` and ``results.json`` hold).

Every stage returns one of these records; on resume they are rebuilt from
``state.json`` with :meth:`neat.records.Record.from_json`, which checks every
value (a hand-edited or damaged state gives an error naming the entry, not a
wrong number downstream).  Accuracies are fractions in [0, 1]; voltages in V;
conductances in S; weights in weight units.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import checks
from .energy import LayerEnergy
from .records import Record, checked

__all__ = ["CellTableResult", "EpochRecord", "LayerStats", "BaselineResult", "IterationRecord", "TrainedVariant",
           "GateChoice", "VariantEvaluation", "EvaluationResult", "EnergySetting", "VariantEnergy",
           "SensitivityRow", "EnergyResult", "CircuitRow", "CircuitResult", "ScheduleResult", "RESULT_TYPES"]


def _accuracy(name, v):
    return checks.fraction(name, v, zero_ok=True)


def _volts(name, v):
    return checks.real(name, v, low=0.0, low_open=True, high=10.0, unit="V")


def _scale(name, v):
    return checks.positive(name, v)


def _nonneg(name, v):
    return checks.non_negative(name, v)


@dataclass
class CellTableResult(Record):
    """G_cut(V_G) on the grid (None where no linear range) and the NEAT target gate voltage."""

    v_grid: list[float] = checked(_volts)
    g_cut: list[float | None] = checked(_scale)
    status: list[str] = field(default_factory=list)
    metric_at_g_off: list[float] = field(default_factory=list)
    metric_at_g_on: list[float] = field(default_factory=list)
    description: str = ""
    transistor: str = "builtin"
    metric: str = "ideal"
    tolerance: float = 0.025
    g_on: float = checked(_scale, default=1 / 30e3)
    g_off: float = checked(_scale, default=1 / 300e3)
    v_max: float = checked(_volts, default=0.5)
    neat_v_gate: float = checked(_volts, default=1.0)
    g_cut_at_neat_v_gate: float | None = checked(_scale, default=None)
    neat_v_gate_auto: bool = True

    def __post_init__(self):
        super().__post_init__()
        if not len(self.v_grid) == len(self.g_cut) == len(self.status):
            raise ValueError("v_grid, g_cut and status must have the same length")
        for s in self.status:
            checks.choice("status entry", s, ("linear", "partial", "none"))


@dataclass
class EpochRecord(Record):
    """One training epoch: mean loss, training accuracy, optimizer steps, test accuracy (if measured)."""

    epoch: int
    loss: float
    accuracy: float = checked(_accuracy)
    steps: int = 0
    test_accuracy: float | None = checked(_accuracy, default=None)


@dataclass
class LayerStats(Record):
    """A mapped layer's weight shape and statistics after baseline training."""

    shape: list[int]
    max_abs: float = checked(_nonneg)
    std: float = checked(_nonneg)


@dataclass
class BaselineResult(Record):
    """Software training; the mapping weight scales of every mode (``{mode: {layer: w_max}}``)."""

    software_accuracy: float = checked(_accuracy)
    history: list[EpochRecord] = field(default_factory=list)
    w_scales: dict[str, dict[str, float]] = checked(_scale, default_factory=dict)
    layers: dict[str, LayerStats] = field(default_factory=dict)
    parameters: int = 0


@dataclass
class IterationRecord(Record):
    """One NEAT iteration (clip, then retrain): training loss/accuracy, weights inside the linear
    range after the retraining (smallest layer fraction, first layer), crossbar accuracy at V_target."""

    iteration: int
    loss: float | None = None
    train_accuracy: float | None = checked(_accuracy, default=None)
    min_fraction_inside: float = checked(_accuracy, default=1.0)
    first_layer_fraction: float = checked(_accuracy, default=1.0)
    crossbar_accuracy: float | None = checked(_accuracy, default=None)


@dataclass
class TrainedVariant(Record):
    """A network derived from the baseline at V_target (NEAT, BN recalibration, cell fine-tune)."""

    variant: str
    mode: str
    v_gate: float = checked(_volts)
    w_cut: dict[str, float] = checked(_nonneg, default_factory=dict)
    fraction_inside_before: dict[str, float] = checked(_accuracy, default_factory=dict)
    fraction_inside: dict[str, float] = checked(_accuracy, default_factory=dict)
    iterations: list[IterationRecord] = field(default_factory=list)  # NEAT
    epochs: list[EpochRecord] = field(default_factory=list)  # cell fine-tune
    software_accuracy: float = checked(_accuracy, default=0.0)


@dataclass
class ScheduleResult(Record):
    """NEAT with another (lr, iterations) schedule (the budget/lr sweep), evaluated at V_target and 1.0 V."""

    mode: str
    lr: float = checked(_scale)
    iterations: int = 0
    v_gate: float = checked(_volts, default=1.0)
    software_accuracy: float = checked(_accuracy, default=0.0)
    accuracy_target: float = checked(_accuracy, default=0.0)
    accuracy_reference: float = checked(_accuracy, default=0.0)
    history: list[IterationRecord] = field(default_factory=list)


@dataclass
class GateChoice(Record):
    """Algorithm 1 at one coverage: per-layer V_G and the accuracy there and one grid step lower."""

    coverage: float = checked(checks.fraction)
    v_gates: dict[str, float] = checked(_volts, default_factory=dict)
    w_cut: dict[str, float] = checked(_nonneg, default_factory=dict)
    fraction_inside: dict[str, float] = checked(_accuracy, default_factory=dict)
    satisfied: dict[str, bool] = field(default_factory=dict)
    mean_v_gate_weighted: float = checked(_volts, default=1.0)
    accuracy: float = checked(_accuracy, default=0.0)
    accuracy_minus_step: float = checked(_accuracy, default=0.0)


@dataclass
class VariantEvaluation(Record):
    """One network variant under one mapping: software accuracy, homogeneous sweep, gate control."""

    software_accuracy: float = checked(_accuracy)
    sweep: dict[str, float] = checked(_accuracy, default_factory=dict)  # f"{V_G:.4f}" -> accuracy
    gates: list[GateChoice] = field(default_factory=list)
    fraction_inside_target: dict[str, float] = checked(_accuracy, default_factory=dict)

    def at(self, v_gate: float) -> float | None:
        return self.sweep.get(f"{v_gate:.4f}")


@dataclass
class EvaluationResult(Record):
    """Every variant of one weight-scale mode on crossbars (``cell`` fidelity)."""

    mode: str
    v_target: float = checked(_volts)
    step: float = checked(_volts, default=0.05)
    ideal_accuracy: float | None = checked(_accuracy, default=None)
    variants: dict[str, VariantEvaluation] = field(default_factory=dict)


@dataclass
class EnergySetting(Record):
    """Energy per image of one network at one gate-voltage setting: total and per layer."""

    total: LayerEnergy
    layers: dict[str, LayerEnergy] = field(default_factory=dict)


@dataclass
class VariantEnergy(Record):
    """A variant's energy at each setting and its savings against the reference setting."""

    settings: dict[str, EnergySetting] = field(default_factory=dict)
    savings: dict[str, dict[str, float | None]] = field(default_factory=dict)  # setting -> group -> saving


@dataclass
class SensitivityRow(Record):
    """The heterogeneous-V_G saving (vs the reference V_G, same weights) under changed model assumptions."""

    label: str
    transistor_width: float = checked(_scale)
    toggling: str = "per_inference"
    t_read: float = checked(_scale, default=100e-9)
    saving_array: float | None = None
    saving_total: float | None = None
    reference_total_J: float = checked(_nonneg, default=0.0)


@dataclass
class EnergyResult(Record):
    """Energy of every variant of one mode, the headline saving, and the sensitivity table."""

    mode: str
    constants: dict[str, Any] = field(default_factory=dict)
    samples: int = 0
    reference: str = ""
    variants: dict[str, VariantEnergy] = field(default_factory=dict)
    neat_hetero_vs_baseline_reference: dict[str, float | None] = field(default_factory=dict)
    sensitivity: list[SensitivityRow] = field(default_factory=list)


@dataclass
class CircuitRow(Record):
    """One variant at one V_G: accuracy with the ``cell`` and the ``circuit`` fidelity on the same images."""

    variant: str
    v_gate: float = checked(_volts)
    accuracy_cell: float = checked(_accuracy, default=0.0)
    accuracy_circuit: float = checked(_accuracy, default=0.0)


@dataclass
class CircuitResult(Record):
    """Circuit fidelity with parasitics (issue 13 part 5) on a test subset."""

    mode: str
    samples: int = 0
    r_wire: float = checked(_nonneg, default=0.0)
    r_source: float = checked(_nonneg, default=0.0)
    r_sink: float = checked(_nonneg, default=0.0)
    rows: list[CircuitRow] = field(default_factory=list)


#: stage kind -> its record type (the kind is the stage name before the first '.').
RESULT_TYPES = {"cell_table": CellTableResult, "baseline": BaselineResult, "clip_bn": TrainedVariant,
                "neat": TrainedVariant, "cell_ft": TrainedVariant, "schedule": ScheduleResult,
                "evaluate": EvaluationResult, "energy": EnergyResult, "circuit": CircuitResult}
