"""Figures for reading and for print: a note under each figure that says what it rests on
(n, the window, the interval method), and saving as PNG and SVG side by side.

Used by the research notebooks; matplotlib only, so it needs nothing of the app.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.figure import Figure

NOTE_SIZE = 9  # points


def note(fig: Figure, text: str, width: int = 130) -> None:
    """Write `text` under the figure, wrapped (saved with it: `save` keeps every artist)."""
    fig.text(0.0, 0.0, textwrap.fill(text, width), ha="left", va="top", fontsize=NOTE_SIZE,
             transform=fig.transFigure)


def save(fig: Figure, folder: Path | str, name: str) -> list[Path]:
    """Save `fig` as `folder/name.png` (150 dpi) and `folder/name.svg`; return both paths.
    The bounding box is fitted to everything drawn, the note under the axes included."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    return paths
