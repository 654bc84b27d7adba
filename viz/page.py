"""The app's page: one model (or one compared pair) per browser session.

Mesa's `SolaraViz` takes a model instance made once, when `app.py` is imported, so every
browser tab would step the same model; and its parameter panel passes every shown value to
the model, so a default on screen would override what a preset sets. The page therefore
keeps its own per-session state (made by Solara hooks, which live as long as the session)
and composes Mesa's controller (`ModelController`: Reset, Play/Pause, Step) and step counter
with the project's settings panel and views.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController, ShowSteps
from mesa.visualization.utils import update_counter

from model import Organization
from model.recording import Recording
from viz.compare import ComparisonView, Pair
from viz.components import EventFeed, KanbanView, NetworkView, TimeSeriesView, TribesView
from viz.controls import SEED_RANGE, Settings, SettingsPanel, model_settings
from viz.export import export_name, export_zip
from viz.inspector import PersonInspector

PLAY_INTERVAL_MS = 200
ONE, COMPARE = "One run", "Compare two"
DEFAULT_B = "hierarchy"  # what a comparison sets against the default preset at first


def run_kwargs(settings: Settings, seed: int) -> dict[str, Any]:
    """The model's arguments: the sidebar's settings, and an activity record for the person
    inspector (the run's output setting, not the model's configuration)."""
    return {**settings.model_kwargs(seed), "recording": Recording(activity=True)}


def make_model(settings: Settings | None = None, seed: int = 0) -> Organization:
    """A model from sidebar settings (the default preset as is, seed 0, by default)."""
    return Organization(**run_kwargs(settings or Settings(), seed))


def make_pair(a: Settings, b: Settings, seed: int) -> Pair:
    """Two models from two sidebar configurations under one seed."""
    return Pair(**Pair.kwargs(a, b, seed))


def _synced(params: solara.Reactive[dict], value: dict[str, Any]) -> None:
    """Keep the parameters Mesa's Reset builds the model from equal to the sidebar's."""
    def sync():
        if params.value != value:
            params.set(value)

    solara.use_effect(sync, [repr(value)])


@solara.component
def Page(initial: Settings | None = None):
    """The whole app for one session; `initial` is the first configuration (A) it shows
    (benchmarks/bench_app.py starts at other sizes)."""
    initial = initial or Settings()
    settings_a = solara.use_reactive(initial)
    settings_b = solara.use_reactive(Settings(DEFAULT_B))
    seed = solara.use_reactive(0)
    mode = solara.use_reactive(ONE)
    editing = solara.use_reactive("A")
    # made once per session: the models are this session's own
    model: solara.Reactive[Organization] = solara.use_memo(
        lambda: solara.Reactive(make_model(initial)), [])
    pair: solara.Reactive[Pair] = solara.use_memo(
        lambda: solara.Reactive(make_pair(initial, Settings(DEFAULT_B), 0)), [])
    one_params = solara.use_reactive(run_kwargs(settings_a.value, seed.value))
    pair_params = solara.use_reactive(Pair.kwargs(settings_a.value, settings_b.value,
                                                  seed.value))
    _synced(one_params, run_kwargs(settings_a.value, seed.value))
    _synced(pair_params, Pair.kwargs(settings_a.value, settings_b.value, seed.value))
    comparing = mode.value == COMPARE
    # Mesa's controller reads these as reactive values
    timing = {"play_interval": solara.use_reactive(PLAY_INTERVAL_MS),
              "render_interval": solara.use_reactive(1),
              "use_threads": solara.use_reactive(False)}

    with solara.AppBar():
        solara.AppBarTitle("Purposeful Enterprise")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run", margin=0):
            solara.ToggleButtonsSingle(value=mode, values=[ONE, COMPARE])
            if comparing:
                ModelController(pair, model_parameters=pair_params, **timing)
                PairSteps(pair.value)
            else:
                ModelController(model, model_parameters=one_params, **timing)
                ShowSteps(model.value)
            solara.SliderInt(f"Seed: {seed.value}", value=seed, min=SEED_RANGE[0],
                             max=SEED_RANGE[1])
            PendingNote(model.value, pair.value, settings_a.value, settings_b.value,
                        seed.value, comparing)
            Export(pair.value if comparing else model.value, comparing)
        if comparing:
            solara.ToggleButtonsSingle(value=editing, values=["A", "B"])
            chosen = settings_a if editing.value == "A" else settings_b
            SettingsPanel(chosen, title=editing.value)
        else:
            SettingsPanel(settings_a)

    if comparing:
        ComparisonView(pair.value)
    else:
        # figures get the width they are drawn for, so that their text is read at its size
        with solara.Columns([3, 2]):
            NetworkView(model.value)
            EventFeed(model.value)
        TimeSeriesView(model.value)
        with solara.Columns([3, 2]):
            TribesView(model.value)
            KanbanView(model.value)
        PersonInspector(model.value)


@solara.component
def PairSteps(pair: Pair):
    """The compared pair's step (both take the same steps)."""
    update_counter.get()
    solara.Text(f"Step: {pair.steps} (A and B)")


@solara.component
def PendingNote(model, pair, a: Settings, b: Settings, seed: int, comparing: bool):
    """Says when the sidebar differs from the run on screen (changes apply on Reset)."""
    update_counter.get()
    if comparing:
        differs = (model_settings(pair.a), model_settings(pair.b), pair.seed) != (a, b, seed)
    else:
        differs = (model_settings(model), model.seed) != (a, seed)
    if differs:
        solara.Warning("The settings differ from the run shown: Reset applies them.",
                       dense=True)


@solara.component
def Export(run, comparing: bool):
    """A download of the run on screen: steps.csv, events.csv, config.json (zipped)."""
    update_counter.get()
    models = {"a": run.a, "b": run.b} if comparing else {"": run}
    solara.FileDownload(lambda: export_zip(models), filename=export_name(models),
                        label="Export this run (CSV, JSON)")
