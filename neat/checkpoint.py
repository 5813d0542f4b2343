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

Reading back is safe and loud:

* checkpoints hold tensors and plain data only (dicts, lists, tuples, str, int,
  float, bool, None; :func:`check_payload` refuses anything else at save time)
  and are loaded with ``torch.load(weights_only=True)``: a checkpoint from
  someone else cannot run code;
* a file that cannot be read (truncated, corrupt, hand-edited) raises
  :class:`CheckpointError`, which names the file and says what to do
  (``--redo STAGE`` recomputes a stage and those after it; ``--overwrite``
  starts over).  Nothing is restarted silently: ``resume`` on a folder without
  a run is an error, not a fresh start.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import torch

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_torch_save", "to_jsonable", "config_hash",
           "check_payload", "RunStore", "ResumeMismatchError", "CheckpointError"]


class ResumeMismatchError(RuntimeError):
    """``--resume`` on a folder whose recorded configuration differs from the requested one."""


class CheckpointError(RuntimeError):
    """A run folder's file cannot be used (unreadable, corrupt, inconsistent, missing); the message names
    the file and says how to continue."""


#: What reading a damaged torch checkpoint can raise.
_TORCH_READ_ERRORS = (RuntimeError, pickle.UnpicklingError, EOFError, OSError, zipfile.BadZipFile, ValueError,
                      KeyError, AttributeError, TypeError, IndexError)
_PLAIN = (str, int, float, bool, type(None))


def check_payload(obj, where: str = "payload") -> None:
    """Refuse anything but tensors and plain data (what ``torch.load(weights_only=True)`` reads back)."""
    if torch.is_tensor(obj) or isinstance(obj, _PLAIN):
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"{where}: checkpoint keys must be str or int, got {type(k).__name__}")
            check_payload(v, f"{where}[{k!r}]")
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            check_payload(v, f"{where}[{i}]")
        return
    raise TypeError(f"{where}: checkpoints hold tensors and plain data only, got {type(obj).__name__}")


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
    """``torch.save`` to ``path`` atomically (tensors and plain data only, see :func:`check_payload`)."""
    check_payload(obj)
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

    Several processes (data-parallel ranks, :mod:`neat.ddp`) share one folder:
    one ``writer`` (rank 0) writes every file; the others (``writer=False``,
    created after the writer) only read, and keep the state in memory.
    ``sync()`` (a barrier) is called after every write the others may read
    and after reading mid-stage progress, so no rank reads a file before it
    is written or after it is replaced.
    """

    def __init__(self, out, config: dict, *, resume: bool = False, overwrite: bool = False,
                 stages: tuple | None = None, writer: bool = True, sync=None):
        self.out = Path(out)
        self.ckpt = self.out / "ckpt"
        self.state_path = self.out / "state.json"
        self.config = to_jsonable(config)
        self.hash = config_hash(self.config)
        self.stages = stages
        self.writer, self._sync = writer, sync
        if resume and overwrite:
            raise ValueError("resume and overwrite exclude each other")
        if not writer:  # another process (rank 0) has created or checked the folder already
            self.state = self._read_state()
            if self.state["config_hash"] != self.hash:
                raise ResumeMismatchError(f"{self.out} holds another run than the one requested")
            return
        if self.state_path.is_file() and not overwrite:
            if not resume:
                raise FileExistsError(f"{self.out} already holds a run (state.json); pass --resume to continue it, "
                                      f"--overwrite to start over, or choose another --out")
            state = self._read_state()
            if state["config_hash"] != self.hash:
                old = state["config"]
                diff = sorted(k for k in set(old) | set(self.config) if old.get(k) != self.config.get(k))
                raise ResumeMismatchError(f"cannot resume {self.out}: its configuration differs in {diff}; "
                                          f"rerun with the same options or use another --out")
            self.state = state
        else:
            if resume:
                what = "checkpoints but no state.json" if self.ckpt.is_dir() and any(self.ckpt.glob("*.pt")) \
                    else "no run (no state.json)"
                raise CheckpointError(f"cannot resume {self.out}: it holds {what}; run without --resume to start "
                                      f"a new run there (--overwrite discards what is there)")
            if overwrite and self.out.is_dir():
                for p in list(self.ckpt.glob("*.pt")) + [self.state_path]:
                    if p.exists():
                        p.unlink()
            self.state = {"config": self.config, "config_hash": self.hash, "stages": {}}
            self._write_state()

    # ------------------------------------------------------------------ state
    def _read_state(self) -> dict:
        """state.json, checked for shape; :class:`CheckpointError` naming it otherwise."""
        fix = ("it records which stages of this run have finished; restore it, or start the run over with "
               "--overwrite (its checkpoints are then discarded)")
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise CheckpointError(f"{self.state_path} is unreadable ({type(e).__name__}: {e}); {fix}") from e
        problem = None
        if not isinstance(state, dict) or not isinstance(state.get("config"), dict) \
                or not isinstance(state.get("config_hash"), str) or not isinstance(state.get("stages"), dict):
            problem = "it lacks the 'config', 'config_hash' or 'stages' entries"
        elif config_hash(state["config"]) != state["config_hash"]:
            problem = "its recorded configuration does not match its own hash (edited by hand?)"
        else:
            for name, entry in state["stages"].items():
                if self.stages is not None and name not in self.stages:
                    problem = f"it names an unknown stage {name!r}"
                elif not isinstance(entry, dict) or entry.get("status") != "done" \
                        or not isinstance(entry.get("result"), dict):
                    problem = f"its entry for stage {name!r} is not a finished stage with a result"
                if problem:
                    break
        if problem:
            raise CheckpointError(f"{self.state_path} is inconsistent: {problem}; {fix}")
        return state

    def _write_state(self) -> None:
        if self.writer:
            atomic_write_json(self.state_path, self.state)

    def sync(self) -> None:
        if self._sync is not None:
            self._sync()

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
        if payload is not None and self.writer:
            atomic_torch_save(payload, self.stage_path(stage))
        entry = {"status": "done", "result": to_jsonable(result)}
        if wall_s is not None:
            entry["wall_s"] = round(float(wall_s), 2)
        self.state["stages"][stage] = entry
        self._write_state()
        p = self.partial_path(stage)
        if self.writer and p.exists():
            p.unlink()
        self.sync()

    def forget(self, stage: str) -> None:
        """Mark ``stage`` as not done and delete its checkpoints (``--redo``): it is recomputed."""
        self.state["stages"].pop(stage, None)
        self._write_state()
        for p in (self.stage_path(stage), self.partial_path(stage)):
            if self.writer and p.exists():
                p.unlink()
        self.sync()

    def _load(self, path: Path, stage: str, partial: bool) -> dict:
        what = f"the mid-stage checkpoint of stage {stage!r}" if partial else f"the checkpoint of finished stage {stage!r}"
        fix = f"rerun with --resume --redo {stage} to recompute that stage (and the ones after it)"
        if not path.is_file():
            raise CheckpointError(f"{path} ({what}) is missing; {fix}")
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except _TORCH_READ_ERRORS as e:
            cause = str(e).strip().split("\n")[0].split(". ")[0][:200]  # torch's advice to unpickle is not ours
            raise CheckpointError(f"{path} ({what}) is unreadable: truncated, corrupt or not a plain-data "
                                  f"checkpoint ({type(e).__name__}: {cause}); {fix}") from e
        if not isinstance(obj, dict):
            raise CheckpointError(f"{path} ({what}) holds a {type(obj).__name__}, not a dict; {fix}")
        return obj

    def load(self, stage: str) -> dict:
        """The torch payload of a finished stage (tensors and plain data)."""
        return self._load(self.stage_path(stage), stage, partial=False)

    def save_partial(self, stage: str, payload: dict) -> None:
        if self.writer:
            atomic_torch_save(payload, self.partial_path(stage))

    def load_partial(self, stage: str) -> dict | None:
        """A stage's mid-stage progress, or None if it has none."""
        p = self.partial_path(stage)
        try:
            return self._load(p, stage, partial=True) if p.exists() else None
        finally:
            self.sync()  # every rank has read it before the writer replaces it
