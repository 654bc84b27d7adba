"""Shared helpers for the tests."""

from __future__ import annotations

import numpy as np
import pytest

from model import Organization


def make(preset: str = "purposeful", seed: int = 1, **overrides) -> Organization:
    """A small organization for a test."""
    overrides.setdefault("people", 80)
    return Organization(preset=preset, rng=seed, **overrides)


def members_of(m: Organization, tribe: int) -> np.ndarray:
    """Person rows whose tribe is `tribe`."""
    return np.flatnonzero(m.people.tribe[: m.people.n] == tribe)


@pytest.fixture
def small() -> Organization:
    """A purposeful organization of 80 people."""
    return make()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: use Debian's Chromium (Playwright's own download is not reachable)."""
    import os
    import shutil

    executable = os.environ.get("CHROMIUM", CHROMIUM)
    if not shutil.which(executable) and not os.path.exists(executable):
        if os.environ.get("CI"):
            pytest.fail(f"{executable} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {executable} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}
