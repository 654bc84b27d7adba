"""One version and one licence, stated alike in pyproject.toml, CITATION.cff, CHANGELOG.md and
LICENSE."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_pyproject_citation_and_changelog_share_one_version():
    version = project()["version"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert str(citation["version"]) == version
    headings = re.findall(r"^## (\d+\.\d+\.\d+)\b", (ROOT / "CHANGELOG.md").read_text(),
                          flags=re.MULTILINE)
    assert headings, "CHANGELOG.md has no version heading ('## 1.2.3 - date')"
    assert headings[0] == version, "the newest CHANGELOG entry must be pyproject's version"
    assert len(headings) == len(set(headings))


def test_the_licence_is_the_one_pyproject_names():
    assert project()["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert yaml.safe_load((ROOT / "CITATION.cff").read_text())["license"] == "MIT"

