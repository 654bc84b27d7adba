"""The results folder of a sweep: one Parquet file per run, written atomically, plus a manifest.

    DIR/manifest.json          experiment (and its file's text), hash, code and package versions
    DIR/conditions.parquet     one row per condition: index, label, preset, factor values
    DIR/runs/<run>.parquet     one row per run: settings, seed and run summary
    DIR/steps/<run>.parquet    the run's step table every `keep_every` steps (outputs = "steps")
    DIR/failed/<run>.json      a run that raised: its error and settings

A run is stored when its file in `runs/` exists; files are renamed into place only when
complete, so a sweep killed at any moment leaves only whole runs, and starting it again skips
them. One sweep at a time owns a folder (`DIR/.lock`); on taking it, the sweep removes the
temporary files a killed writer left behind. A stored run whose file (or step table) cannot be
read as Parquet, say after a disk fault or a copy cut short, is moved to `DIR/corrupt/` when
the sweep resumes and run again. `runs/` and `steps/` load directly in pandas, polars or
DuckDB.

Reading a damaged folder gives an `ExperimentError` that names the file; nothing is written
through a symbolic link inside the folder (`experiments.files`).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from experiments.experiment import Experiment, ExperimentError
from experiments.files import (
    TEMPORARY,
    WriteError,
    display,
    not_a_link,
    real_folder,
    reason,
    write_atomically,
)

_REDO = "run the sweep again: it moves the file aside and runs that run again"


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
    write_atomically(path, lambda file: frame.to_parquet(file, index=False, schema=schema))


def write_json(data: Any, path: Path) -> None:
    """Write JSON atomically.

    Raises:
        ValueError: `data` holds NaN or an infinity, which JSON cannot represent.
    """
    text = json.dumps(data, indent=2, default=str, allow_nan=False)
    write_atomically(path, lambda file: file.write(text.encode()))


def parquet_problem(path: Path, rows: int | None = None) -> str | None:
    """Why `path` is not a whole Parquet file (of `rows` rows, if given), or None. Reads only
    the footer, which a file cut short or overwritten lacks."""
    try:
        with open(path, "rb") as file:
            metadata = pq.ParquetFile(file).metadata
    except (OSError, pa.ArrowException) as error:
        return f"not a readable Parquet file ({error})"
    if rows is not None and metadata.num_rows != rows:
        return f"holds {metadata.num_rows} rows, not {rows}"
    return None


class Store:
    """A sweep's results folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.steps = self.root / "steps"
        self.failed = self.root / "failed"
        self.corrupt = self.root / "corrupt"
        self.manifest_path = self.root / "manifest.json"
        self.conditions_path = self.root / "conditions.parquet"

    # ------------------------------------------------------------------ layout
    def check(self) -> None:
        """The folder, if it exists, is laid out as a sweep's: folders where folders belong
        (not files, not links), files where files belong.

        Raises:
            ExperimentError: one line naming the first path that is not.
        """
        try:
            info = os.lstat(self.root)
        except FileNotFoundError:
            return
        except OSError as error:
            raise ExperimentError(f"{display(self.root)}: cannot use it ({reason(error)})") \
                from None
        if stat.S_ISLNK(info.st_mode):  # one rule: nothing is written through a link
            raise ExperimentError(f"{display(self.root)}: is a symbolic link; allowed: the "
                                  f"folder itself ({display(os.path.realpath(self.root))})")
        if not stat.S_ISDIR(info.st_mode):
            raise ExperimentError(f"{display(self.root)}: exists and is not a folder")
        for folder in (self.runs, self.steps, self.failed, self.corrupt):
            if os.path.lexists(folder):
                real_folder(folder, create=False)
        for path in (self.manifest_path, self.conditions_path):
            _regular_file_or_missing(path)

    @contextmanager
    def owned(self) -> Iterator[None]:
        """Hold the folder for one sweep; remove what a killed writer left half-written.

        Raises:
            ExperimentError: another sweep is writing to this folder, or it cannot be made.
        """
        self.check()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WriteError(f"{display(self.root)}: cannot create the folder "
                             f"({reason(error)})") from None
        lock = FileLock(not_a_link(self.root / ".lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise ExperimentError(f"{display(self.root)}: another sweep is writing to this "
                                  "folder; wait for it or use another --out folder") from None
        except OSError as error:
            raise WriteError(f"{display(self.root / '.lock')}: cannot take the lock "
                             f"({reason(error)})") from None
        try:
            # the lock is ours, so no writer is alive: any temporary file is a killed one's
            for folder in (self.root, self.runs, self.steps, self.failed):
                for leftover in folder.glob(f"{TEMPORARY}*"):
                    leftover.unlink()
            yield
        finally:
            lock.release()

    # ------------------------------------------------------------------ runs
    def done(self) -> set[str]:
        """Ids of the stored runs (by their files; `corrupt_runs` checks them)."""
        if not self.runs.is_dir():
            return set()
        return {p.stem for p in self.runs.glob("*.parquet") if not p.name.startswith(".")}

    def corrupt_runs(self, with_steps: bool) -> list[str]:
        """Ids of stored runs whose summary (one row) or, `with_steps`, step table is not a
        whole Parquet file."""
        bad = []
        for run_id in sorted(self.done()):
            if parquet_problem(self.runs / f"{run_id}.parquet", rows=1) or with_steps and \
                    parquet_problem(self.steps / f"{run_id}.parquet"):
                bad.append(run_id)
        return bad

    def move_aside(self, run_ids: list[str]) -> list[Path]:
        """Move the files of these runs into `corrupt/` (so that the sweep runs them again);
        return where they went."""
        moved = []
        for run_id in run_ids:
            for folder in (self.steps, self.runs):  # the summary last: it marks a run done
                source = folder / f"{run_id}.parquet"
                if not os.path.lexists(source):
                    continue
                target_folder = real_folder(self.corrupt / folder.name)
                target = target_folder / source.name
                count = 1
                while os.path.lexists(target):
                    target = target_folder / f"{run_id}.{count}.parquet"
                    count += 1
                try:
                    os.rename(source, target)
                except OSError as error:
                    raise WriteError(f"{display(source)}: cannot move it aside to "
                                     f"{display(target)} ({reason(error)})") from None
                moved.append(target)
        return moved

    def save_run(self, run_id: str, summary: pd.DataFrame, steps: pd.DataFrame | None,
                 types: dict[str, pa.DataType] | None = None) -> None:
        """Store a finished run (its step table first: the summary marks it complete);
        `types`: the types of the summary's columns that may hold only nulls."""
        if steps is not None:
            write_parquet(steps, self.steps / f"{run_id}.parquet")
        write_parquet(summary, self.runs / f"{run_id}.parquet", types)
        failure = self.failed / f"{run_id}.json"
        if os.path.lexists(failure):
            failure.unlink()

    def save_failure(self, run_id: str, record: dict[str, Any]) -> None:
        """Record a run that raised."""
        write_json(record, self.failed / f"{run_id}.json")

    def failures(self) -> dict[str, dict[str, Any]]:
        """Failed runs by id, with their error and settings.

        Raises:
            ExperimentError: a record is not readable (it names the file).
        """
        if not os.path.lexists(self.failed):
            return {}
        real_folder(self.failed, create=False)
        records = {}
        for path in sorted(self.failed.glob("*.json")):
            if path.name.startswith("."):
                continue
            record = _read_json(path, "failure record")
            if not isinstance(record, dict) or not isinstance(record.get("error"), str):
                raise ExperimentError(f"{display(path)}: not a failure record (no error); "
                                      "delete it to run that run again")
            records[path.stem] = record
        return records

    # ------------------------------------------------------------------ reading
    def read_runs(self) -> pd.DataFrame:
        """All run summaries as one table.

        Raises:
            ExperimentError: a run file is not whole, or lacks a column every run has.
        """
        runs = _read_folder(self.runs, rows=1)
        missing = [c for c in ("run_id", "condition", "label", "replicate") if c not in runs] \
            if not runs.empty else []
        if missing:
            raise ExperimentError(f"{display(self.runs)}: the run files lack the column "
                                  f"{missing[0]!r}; these are not a sweep's run summaries")
        return runs

    def read_steps(self) -> pd.DataFrame:
        """All kept step tables as one table (empty if none were kept)."""
        return _read_folder(self.steps)

    def read_conditions(self) -> pd.DataFrame:
        """The conditions table.

        Raises:
            ExperimentError: it is missing, not whole, or lacks a column.
        """
        path = self.conditions_path
        _regular_file_or_missing(path)
        if not path.exists():
            raise ExperimentError(f"{display(path)}: missing; run the sweep again to write it")
        table = _read_table(path, "run the sweep again to write it again")
        missing = [c for c in ("condition", "label", "preset") if c not in table.column_names]
        if missing:
            raise ExperimentError(f"{display(path)}: lacks the column {missing[0]!r}; run the "
                                  "sweep again to write it again")
        return table.to_pandas()

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a new folder.

        Raises:
            ExperimentError: the folder is not a sweep's (a file, or a broken manifest).
        """
        self.check()
        if not self.manifest_path.exists():
            return None
        manifest = _read_json(self.manifest_path, "manifest")
        try:
            if not isinstance(manifest, dict) or not isinstance(manifest.get("experiment"),
                                                                dict):
                raise TypeError("no [experiment] record")
            experiment = Experiment.from_dict(manifest["experiment"])
            if not isinstance(experiment.sha256, str):
                raise TypeError("the experiment has no hash")
        except (TypeError, ValueError, AttributeError) as error:
            raise ExperimentError(f"{display(self.manifest_path)}: not a sweep's manifest "
                                  f"({error}); use another folder, or remove it to start "
                                  "the sweep afresh") from None
        return manifest


def _regular_file_or_missing(path: Path) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise ExperimentError(f"{display(path)}: cannot examine it ({reason(error)})") from None
    if stat.S_ISLNK(info.st_mode):
        raise ExperimentError(f"{display(path)}: is a symbolic link, which is never followed "
                              "here; allowed: a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise ExperimentError(f"{display(path)}: is not a regular file (a folder?)")


def _read_json(path: Path, what: str) -> Any:
    _regular_file_or_missing(path)
    try:
        with open(path, "rb") as file:
            return json.loads(file.read().decode("utf-8"))
    except (OSError, ValueError) as error:  # JSONDecodeError and UnicodeDecodeError are
        message = reason(error) if isinstance(error, OSError) else str(error)
        raise ExperimentError(f"{display(path)}: not a readable {what} ({message})") from None


def _read_table(path: Path, remedy: str = _REDO, rows: int | None = None) -> pa.Table:
    """One Parquet file, read through a file object (so that any path works)."""
    _regular_file_or_missing(path)
    problem = parquet_problem(path, rows)
    if problem is None:
        try:
            with open(path, "rb") as file:
                return pq.read_table(file)
        except (OSError, pa.ArrowException) as error:
            problem = f"not a readable Parquet file ({error})"
    raise ExperimentError(f"{display(path)}: {problem}; {remedy}")


def _read_folder(folder: Path, rows: int | None = None) -> pd.DataFrame:
    """The folder's Parquet files as one table. Their schemas are unified, with types promoted
    where they differ (an integer column in some files and a float column in others is read as
    floats; a column missing or all-null in some files is null there).

    Raises:
        ExperimentError: the folder is a file or a link, or a file in it is not whole Parquet
            (of `rows` rows, if given).
    """
    if not os.path.lexists(folder):
        return pd.DataFrame()
    real_folder(folder, create=False)
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    if not files:
        return pd.DataFrame()
    tables = [_read_table(path, rows=rows) for path in files]
    try:
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except pa.ArrowException as error:
        raise ExperimentError(f"{display(folder)}: its files do not make one table ({error})") \
            from None


def now() -> str:
    """The current time, UTC, ISO format."""
    return datetime.now(UTC).isoformat(timespec="seconds")
