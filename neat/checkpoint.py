"""Checkpoints of a pipeline run: atomic writes, a JSON state file, per-stage torch files.

Layout of a run folder ``out/``::

    out/state.json              -- config, its hash, and per stage: status ("done") and its JSON result
    out/ckpt/<stage>.pt         -- torch.save of what the stage produced (model/optimizer state, tensors)
    out/ckpt/<stage>.partial.pt -- mid-stage progress (epoch / iteration / V_G granularity)

Every file is written to a temporary name in the same folder and moved into
place with :func:`os.replace` (atomic on POSIX), so a run killed at any moment
leaves either the old or the new version of each file, never a torn one.  A
stage's ``.pt`` is written before ``state.json`` marks it done; the partial
file is removed after.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

import torch

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_torch_save", "to_jsonable", "config_hash",
           "RunStore", "ResumeMismatchError"]


class ResumeMismatchError(RuntimeError):
    """``--resume`` on a folder whose recorded configuration differs from the requested one."""


def to_jsonable(obj):
    """Convert numpy/torch scalars and arrays, tuples and paths to JSON types; non-finite floats become None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if torch.is_tensor(obj):
        return to_jsonable(obj.detach().cpu().tolist())
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy arrays and scalars
        return to_jsonable(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path, obj) -> None:
    """Write ``obj`` (made JSON-safe by :func:`to_jsonable`) as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n").encode())


def atomic_torch_save(obj, path) -> None:
    """``torch.save`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def config_hash(config: dict) -> str:
    """A short stable hash of a JSON-able configuration dict."""
    return hashlib.sha256(json.dumps(to_jsonable(config), sort_keys=True).encode()).hexdigest()[:16]


class RunStore:
    """The state of one run folder (see module docstring).

    ``RunStore(out, config, resume=False)``: a new run refuses a folder that
    already holds a ``state.json`` (pass ``resume=True`` to continue it, or
    ``overwrite=True`` to start over); a resumed run refuses a folder whose
    recorded config hash differs.
    """

    def __init__(self, out, config: dict, *, resume: bool = False, overwrite: bool = False):
        self.out = Path(out)
        self.ckpt = self.out / "ckpt"
        self.state_path = self.out / "state.json"
        self.config = to_jsonable(config)
        self.hash = config_hash(self.config)
        if self.state_path.is_file() and not overwrite:
            if not resume:
                raise FileExistsError(f"{self.out} already holds a run (state.json); pass --resume to continue it, "
                                      f"--overwrite to start over, or choose another --out")
            state = json.loads(self.state_path.read_text())
            if state.get("config_hash") != self.hash:
                old = state.get("config", {})
                diff = sorted(k for k in set(old) | set(self.config) if old.get(k) != self.config.get(k))
                raise ResumeMismatchError(f"cannot resume {self.out}: its configuration differs in {diff}; "
                                          f"rerun with the same options or use another --out")
            self.state = state
        else:
            if overwrite and self.out.is_dir():
                for p in list(self.ckpt.glob("*.pt")) + [self.state_path]:
                    if p.exists():
                        p.unlink()
            self.state = {"config": self.config, "config_hash": self.hash, "stages": {}}
            self._write_state()

    # ------------------------------------------------------------------ state
    def _write_state(self) -> None:
        atomic_write_json(self.state_path, self.state)

    def is_done(self, stage: str) -> bool:
        return self.state["stages"].get(stage, {}).get("status") == "done"

    def result(self, stage: str) -> dict:
        """The JSON result recorded for a finished stage."""
        if not self.is_done(stage):
            raise KeyError(f"stage {stage!r} has not finished")
        return self.state["stages"][stage]["result"]

    def stage_path(self, stage: str) -> Path:
        return self.ckpt / f"{stage}.pt"

    def partial_path(self, stage: str) -> Path:
        return self.ckpt / f"{stage}.partial.pt"

    def finish(self, stage: str, result: dict, payload: dict | None = None, wall_s: float | None = None) -> None:
        """Record a stage as done: its torch payload first, then the JSON state; drop its partial file."""
        if payload is not None:
            atomic_torch_save(payload, self.stage_path(stage))
        entry = {"status": "done", "result": to_jsonable(result)}
        if wall_s is not None:
            entry["wall_s"] = round(float(wall_s), 2)
        self.state["stages"][stage] = entry
        self._write_state()
        p = self.partial_path(stage)
        if p.exists():
            p.unlink()

    def load(self, stage: str) -> dict:
        """The torch payload of a finished stage."""
        return torch.load(self.stage_path(stage), map_location="cpu", weights_only=False)

    def save_partial(self, stage: str, payload: dict) -> None:
        atomic_torch_save(payload, self.partial_path(stage))

    def load_partial(self, stage: str) -> dict | None:
        p = self.partial_path(stage)
        if not p.is_file():
            return None
        return torch.load(p, map_location="cpu", weights_only=False)
