"""neat: Non-linearity Aware Training for 1T-1R memristive crossbars (after Bhattacharjee et al.).

Stages, one module each (all physics comes from :mod:`xbarsolve`):

* :mod:`neat.cell` -- the 1T-1R cell: exact I–V family, non-linearity metric, cut-off conductance G_cut(V_G);
* :mod:`neat.expansion` -- separable expansion I(V, G) ≈ Σₖ aₖ(V)·bₖ(G) of the exact cell current;
* :mod:`neat.mapping` -- weights → conductances, activations → voltages, currents → outputs, DAC/ADC, tiling;
* :mod:`neat.circuit` -- tiles solved with parasitics by xbarsolve (the ``circuit`` fidelity);
* :mod:`neat.layers` -- ``CrossbarLinear``, ``CrossbarConv2d``, ``convert``/``unconvert``;
* :mod:`neat.cell_report` -- plots and the comparison table of the cell analysis (``python -m neat.cell_report``);
* :mod:`neat.data`, :mod:`neat.models` -- Fashion-MNIST / CIFAR loaders; VGG11, ResNet18, a small CNN;
* :mod:`neat.fidelity` -- how a layer computes currents: ``ideal``, ``cell``, ``circuit``;
* :mod:`neat.network` -- a whole model on crossbars: mapped layers, weight scales, W_cut clipping;
* :mod:`neat.loops` -- one training epoch, one evaluation (no checkpointing);
* :mod:`neat.gate_control` -- W_cut and the per-layer (heterogeneous) gate voltages;
* :mod:`neat.energy` -- energy per inference (cell read, select lines, DAC/ADC);
* :mod:`neat.config`, :mod:`neat.pipeline` -- a run's configuration and its checkpointed stages;
* :mod:`neat.train` -- the command line, ``python -m neat.train`` (it only wires the stages together);
* :mod:`neat.checks`, :mod:`neat.records`, :mod:`neat.checkpoint`, :mod:`neat.threads` -- input checks,
  typed JSON records, run folders, thread policy.

>>> import torch, neat
>>> model = torch.nn.Sequential(torch.nn.Linear(8, 4))
>>> model = neat.convert(model, neat.CrossbarConfig(fidelity="ideal"))
>>> model(torch.ones(2, 8)).shape
torch.Size([2, 4])
"""
from . import threads  # noqa: F401  (first: starts numba's threads without touching torch's, see neat.threads)
from .cell import (DEFAULT_V_GATES, CellConfig, CutoffTable, calibrate_width, cell_currents, cutoff_table,
                   default_transistor, nonlinearity)
from .circuit import CircuitConfig
from .expansion import CellExpansion, ExpansionSpec, build_expansion, get_expansion
from .fidelity import CELL, CIRCUIT, IDEAL, Fidelity
from .layers import (CrossbarConfig, CrossbarConv2d, CrossbarLinear, convert, crossbar_layers, set_fidelity,
                     set_v_gate, unconvert)
from .mapping import MappingConfig, weight_cutoff
from .data import load_dataset
from .energy import EnergyConstants, measure_energy
from .gate_control import select_v_gates
from .models import build_model
from .pipeline import PipelineConfig, run_pipeline

__all__ = ["Fidelity", "IDEAL", "CELL", "CIRCUIT", "CellConfig", "CutoffTable", "DEFAULT_V_GATES", "cell_currents", "nonlinearity", "cutoff_table",
           "default_transistor", "calibrate_width", "ExpansionSpec", "CellExpansion", "build_expansion",
           "get_expansion", "MappingConfig", "weight_cutoff", "CircuitConfig", "CrossbarConfig", "CrossbarLinear",
           "CrossbarConv2d", "convert", "unconvert", "crossbar_layers", "set_v_gate", "set_fidelity",
           "load_dataset", "build_model", "select_v_gates", "EnergyConstants", "measure_energy",
           "PipelineConfig", "run_pipeline"]
