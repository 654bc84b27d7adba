"""The interactive app: `python run.py viz` (or `solara run app.py`).

Each browser session gets its own model: choose the governance preset, the six policies and
the central parameters in the sidebar, then Reset, Step or Play; compare two configurations
under the same seed; export the run. See viz/page.py.
"""

from viz.page import Page, make_model

__all__ = ["Page", "make_model"]
