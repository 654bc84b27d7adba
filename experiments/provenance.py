"""Where results come from: the code version (git commit and a hash of the source that
determines a run's numbers) and the versions of the packages installed, asked once per process.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# the code that determines a run's numbers: the model (its metrics module holds the run
# summary) and how a sweep makes a run
SOURCE = ("model", "agents", "numerics", "experiments/task.py")
# packages recorded in a results folder's manifest
PACKAGES = ("numpy", "numba", "pandas", "mesa", "pyarrow", "scipy", "salib", "networkx", "dask",
            "distributed", "matplotlib")
# packages whose versions must agree between the client and Dask workers (numba: when both
# have it; the results are the same without it)
KEY_PACKAGES = ("numpy", "mesa", "numba")


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    """The installed version of each package (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def manifest_packages() -> dict[str, str]:
    """Python's version and those of `PACKAGES`, as a manifest records them."""
    return {"python": platform.python_version(),
            **{name: version or "not installed"
               for name, version in package_versions(PACKAGES).items()}}


def code_version() -> dict[str, Any]:
    """The git commit of the code (and whether the work tree had changes), if known, and the
    sha256 of the model's source files (`source_digest`)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10,
                               check=True).stdout.strip() != ""
        version = {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        installed = package_versions(["purposeful-enterprise"])["purposeful-enterprise"]
        version = {"commit": None, "version": installed or "unknown"}
    return {**version, "source": source_digest()}


def code_label(code: dict[str, Any]) -> str:
    """A code version in a word: the commit (with "+dirty" for a changed work tree), else the
    installed version."""
    return (code.get("commit") or code.get("version") or "unknown") + (
        "+dirty" if code.get("dirty") else "")


def source_digest() -> str:
    """sha256 of the source files that determine a run's numbers (`SOURCE`), over their paths
    and contents in path order."""
    files = sorted(path for entry in SOURCE for path in (
        (ROOT / entry).rglob("*.py") if (ROOT / entry).is_dir() else [ROOT / entry]))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def environment() -> dict[str, Any]:
    """This process's code version (`code_version`, and its label) and the versions of the key
    packages installed; computed once per process (as a pool worker starts, at a Dask worker's
    probe), so a worker reports the code it imported, not code committed since."""
    code = code_version()
    return {"code": code, "label": code_label(code), "packages": package_versions(KEY_PACKAGES)}


def differences(here: dict[str, Any], there: dict[str, Any]) -> list[str]:
    """How a worker's environment differs from this process's, in words (empty: the same
    model source and key package versions)."""
    found = []
    if here["code"]["source"] != there["code"]["source"]:
        found.append(f"model source {there['code']['source'][:12]} ({there['label']}) differs "
                     f"from this client's {here['code']['source'][:12]} ({here['label']})")
    for name in KEY_PACKAGES:
        mine, theirs = here["packages"].get(name), there["packages"].get(name)
        if name == "numba" and (mine is None or theirs is None):
            continue
        if mine != theirs:
            found.append(f"{name} {theirs or 'not installed'} (this client: "
                         f"{mine or 'not installed'})")
    return found
