"""The results folder of a sweep: one Parquet file per run, written atomically, plus a manifest.

    DIR/manifest.json          experiment (and its file's text), hash, code and package versions
    DIR/conditions.parquet     one row per condition: index, label, preset, factor values
    DIR/runs/<run>.parquet     one row per run: settings, seed and run summary
    DIR/steps/<run>.parquet    the run's step table every `keep_every` steps (outputs = "steps")
    DIR/failed/<run>.json      a run that raised: its error and settings

A run is stored when its file in `runs/` exists; files are renamed into place only when
complete, so a sweep killed at any moment leaves only whole runs, and starting it again skips
them. One sweep at a time owns a folder (`DIR/.lock`); on taking it, the sweep removes the
temporary files a killed writer left behind. `runs/` and `steps/` load directly in pandas,
polars or DuckDB.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from filelock import FileLock, Timeout
from pyarrow import fs

from experiments.experiment import ExperimentError


def write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """Call `write(temporary path)` in `path`'s folder, then rename it to `path`. The file gets
    the mode a newly created file would (0o666 less the umask) and is flushed to disk, and so
    is the folder's entry after the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(handle)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it 0o600
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if os.name == "posix":  # the rename itself; folders cannot be opened on Windows
        _fsync(path.parent)


def _fsync(path: str | Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _umask() -> int:
    """The process's umask (from /proc on Linux; elsewhere set and restored at once)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("Umask:"):  # Linux 4.7 and later
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_parquet(frame: pd.DataFrame, path: Path,
                  types: dict[str, pa.DataType] | None = None) -> None:
    """Write one table atomically; `types` gives the type of columns that hold only nulls."""
    schema = None
    if types:
        schema = pa.Schema.from_pandas(frame, preserve_index=False)
        for name, kind in types.items():
            index = schema.get_field_index(name)
            if index >= 0 and pa.types.is_null(schema.field(index).type):
                schema = schema.set(index, pa.field(name, kind))
    write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False, schema=schema))


def write_json(data: Any, path: Path) -> None:
    """Write JSON atomically."""
    text = json.dumps(data, indent=2, default=str)
    write_atomically(path, lambda tmp: Path(tmp).write_text(text))


class Store:
    """A sweep's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.steps = self.root / "steps"
        self.failed = self.root / "failed"
        self.manifest_path = self.root / "manifest.json"

    @contextmanager
    def owned(self) -> Iterator[None]:
        """Hold the folder for one sweep; remove what a killed writer left half-written.

        Raises:
            ExperimentError: another sweep is writing to this folder.
        """
        if self.root.exists() and not self.root.is_dir():
            raise ExperimentError(f"{self.root}: exists and is not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.root / ".lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise ExperimentError(f"{self.root}: another sweep is writing to this folder; "
                                  "wait for it or use another --out folder") from None
        try:
            # the lock is ours, so no writer is alive: any temporary file is a killed one's
            for folder in (self.root, self.runs, self.steps, self.failed):
                for leftover in folder.glob(".tmp-*"):
                    leftover.unlink()
            yield
        finally:
            lock.release()

    def done(self) -> set[str]:
        """Ids of the stored runs."""
        if not self.runs.is_dir():
            return set()
        return {p.stem for p in self.runs.glob("*.parquet") if not p.name.startswith(".")}

    def failures(self) -> dict[str, dict[str, Any]]:
        """Failed runs by id, with their error and settings."""
        if not self.failed.is_dir():
            return {}
        return {p.stem: json.loads(p.read_text()) for p in sorted(self.failed.glob("*.json"))
                if not p.name.startswith(".")}

    def save_run(self, run_id: str, summary: pd.DataFrame, steps: pd.DataFrame | None,
                 types: dict[str, pa.DataType] | None = None) -> None:
        """Store a finished run (its step table first: the summary marks it complete);
        `types`: the types of the summary's columns that may hold only nulls."""
        if steps is not None:
            write_parquet(steps, self.steps / f"{run_id}.parquet")
        write_parquet(summary, self.runs / f"{run_id}.parquet", types)
        (self.failed / f"{run_id}.json").unlink(missing_ok=True)

    def save_failure(self, run_id: str, record: dict[str, Any]) -> None:
        """Record a run that raised."""
        write_json(record, self.failed / f"{run_id}.json")

    def read_runs(self) -> pd.DataFrame:
        """All run summaries as one table."""
        return _read_folder(self.runs)

    def read_steps(self) -> pd.DataFrame:
        """All kept step tables as one table (empty if none were kept)."""
        return _read_folder(self.steps)

    def read_conditions(self) -> pd.DataFrame:
        """The conditions table."""
        return pd.read_parquet(self.root / "conditions.parquet")

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a new folder.

        Raises:
            ExperimentError: the folder is not a sweep's (a file, or a broken manifest).
        """
        if self.root.exists() and not self.root.is_dir():
            raise ExperimentError(f"{self.root}: exists and is not a folder")
        if not self.manifest_path.exists():
            return None
        try:
            return json.loads(self.manifest_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ExperimentError(f"{self.manifest_path}: not a readable manifest ({error})") \
                from None


def _read_folder(folder: Path) -> pd.DataFrame:
    """The folder's Parquet files as one table. Their schemas are unified, with types promoted
    where they differ (an integer column in some files and a float column in others is read as
    floats; a column missing or all-null in some files is null there)."""
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith(".")) \
        if folder.is_dir() else []
    if not files:
        return pd.DataFrame()
    factory = ds.FileSystemDatasetFactory(fs.LocalFileSystem(), [str(p) for p in files],
                                          ds.ParquetFileFormat())
    schema = factory.inspect(promote_options="permissive", fragments=None)
    return factory.finish(schema).to_table().to_pandas()


def now() -> str:
    """The current time, UTC, ISO format."""
    return datetime.now(UTC).isoformat(timespec="seconds")
