"""A sweep's results on disk: a folder of Parquet files, one per finished task, and the spec.

Layout of ``out/``::

    out/spec.json             -- the spec (its JSON form and hash): a restart must match it
    out/part-000123.parquet   -- the rows of task 123, written when the task finished

Each part is written to a temporary name and moved into place (atomic on POSIX),
so a sweep killed at any moment leaves only whole parts; a restart skips the
tasks whose part exists (the task list is a pure function of the spec).  The
folder is an ordinary Parquet dataset (``pyarrow.dataset``, pandas, polars, DuckDB
read it); :func:`read_sweep` gives the table sorted by configuration index.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from ..cluster import require_distributed
from .spec import PARAMETERS, SweepSpec

__all__ = ["SweepStore", "SweepMismatchError", "read_sweep", "schema"]

_PART = re.compile(r"^part-(\d{6,})\.parquet$")


class SweepMismatchError(RuntimeError):
    """A results folder holds a different sweep than the one being run."""


def schema(spec: SweepSpec):
    """The Arrow schema of a sweep's table: index, repeat, seed, every parameter, error, recorded values."""
    import pyarrow as pa
    arrow = {int: pa.int64(), float: pa.float64(), str: pa.string()}
    fields = [pa.field("index", pa.int64(), nullable=False), pa.field("repeat", pa.int64(), nullable=False),
              pa.field("seed", pa.int64(), nullable=False)]
    fields += [pa.field(name, arrow[p.kind]) for name, p in PARAMETERS.items()]
    fields += [pa.field("error", pa.string())] + [pa.field(name, pa.float64()) for name in spec.record]
    return pa.schema(fields, metadata={"xbarsolve.sweep.spec": json.dumps(spec.to_json(), sort_keys=True)})


class SweepStore:
    """The results folder of one sweep (see the module docstring).

    A new folder records the spec; an existing one must hold the same spec (else
    :class:`SweepMismatchError`) unless ``overwrite`` (its parts are then deleted).
    """

    def __init__(self, out, spec: SweepSpec, *, overwrite: bool = False):
        require_distributed("pyarrow")
        self.out = Path(out)
        self.spec = spec
        self.schema = schema(spec)
        spec_path = self.out / "spec.json"
        if spec_path.is_file() and not overwrite:
            try:
                recorded = json.loads(spec_path.read_text())
            except (OSError, ValueError) as e:
                raise SweepMismatchError(f"{spec_path} is unreadable ({e}); pass overwrite (--overwrite) to start "
                                         f"this sweep over there") from e
            if recorded.get("hash") != spec.hash:
                old, new = recorded.get("spec", {}), spec.to_json()
                diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                raise SweepMismatchError(f"{self.out} holds another sweep (its spec differs in {diff}); use another "
                                         f"output folder, or overwrite (--overwrite) to discard it")
        else:
            self.out.mkdir(parents=True, exist_ok=True)
            if overwrite:
                for p in self.out.glob("part-*.parquet"):
                    p.unlink()
            _atomic_write(spec_path, (json.dumps({"hash": spec.hash, "spec": spec.to_json()}, indent=2) + "\n").encode())
        for stale in self.out.glob(".part-*.tmp"):  # left by a killed sweep mid-write
            stale.unlink()

    def part_path(self, task: int) -> Path:
        return self.out / f"part-{task:06d}.parquet"

    def done_tasks(self) -> set:
        """Task numbers whose rows are on disk."""
        return {int(m.group(1)) for p in self.out.iterdir() if (m := _PART.match(p.name))}

    def write_part(self, task: int, rows: list) -> None:
        """Write task ``task``'s rows (dicts with every schema column) as one Parquet file, atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.Table.from_pylist(rows, schema=self.schema)
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".part-{task:06d}.", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, self.part_path(task))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_sweep(out):
    """The results table of the sweep in ``out`` (a ``pyarrow.Table``), sorted by configuration index."""
    require_distributed("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq
    parts = sorted(p for p in Path(out).iterdir() if _PART.match(p.name))
    if not parts:
        raise FileNotFoundError(f"{out} holds no sweep results (no part-*.parquet)")
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    return table.sort_by("index")
