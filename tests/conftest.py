"""Fixtures the tests share (helpers are in `tests/helpers.py`)."""

from __future__ import annotations

import os
import shutil

import pytest

from model import Organization
from tests.helpers import make

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def small() -> Organization:
    """A purposeful organization of 80 people."""
    return make()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: use Debian's Chromium (Playwright's own download is not reachable)."""
    executable = os.environ.get("CHROMIUM", CHROMIUM)
    if not shutil.which(executable) and not os.path.exists(executable):
        if os.environ.get("CI"):
            pytest.fail(f"{executable} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {executable} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}
