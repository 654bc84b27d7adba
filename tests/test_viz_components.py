"""Component tests for each view of the app (rendered as widgets, no browser)."""

from __future__ import annotations

import io

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest

solara = pytest.importorskip("solara")

from viz import components as views  # noqa: E402
from viz.layout import StableLayout, layout_for  # noqa: E402


def app_model(**params):
    import app

    return app.make_model(**{"people": 120, **params})


@pytest.fixture
def model():
    import app

    m = app.make_model(people=120, rng=3)
    m.run(6)
    return m


def test_network_figure_marks_tribes_leaders_and_gone_people(model):
    fig = views.network_figure(model)
    ax = fig.axes[0]
    people = ax.collections[1]
    assert len(people.get_offsets()) == model.people.n
    alpha = people.get_facecolors()[:, 3]
    gone = ~model.people.active[: model.people.n]
    assert np.allclose(alpha[gone], 0.12) and np.allclose(alpha[~gone], 1.0)
    leaders = ax.collections[2]
    living = model.tribes.living()
    assert len(leaders.get_offsets()) == int((model.tribes.leader[living] >= 0).sum())
    assert f"step {model.steps}" in ax.get_title()
    fig.savefig(io.BytesIO(), format="png")
    box, rc = solara.render(views.NetworkView(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")


def test_settings_view_shows_preset_size_seed_and_policies(model):
    line = views.settings_line(model)
    assert line.startswith("purposeful: 120 people, seed 3;")
    assert "membership voluntary" in line and "leadership emergent" in line
    assert f"WIP limit (doing) {model.cfg.wip_doing}" in line
    box, rc = solara.render(views.NetworkView(model), handle_error=False)  # shown above it
    assert rc.find(v.Html).widget.children == [line]
    assert views.settings_line(app_model(preset="hierarchy", rng=9)).startswith(
        "hierarchy: 120 people, seed 9;")


def test_layout_is_stable_between_steps(model):
    """Whoever stays in the same tribe (or stays unaffiliated) keeps the same pixel position:
    same data coordinates and the same axes."""
    layout = layout_for(model)
    p = model.people
    moved_people = 0
    for _ in range(20):  # long enough for some people to change tribe after the reform
        fig = views.network_figure(model)
        ax = fig.axes[0]
        limits = (ax.get_xlim(), ax.get_ylim())
        before = ax.transData.transform(ax.collections[1].get_offsets())
        tribe_before = p.tribe[: p.n].copy()
        active_before = p.active[: p.n].copy()
        capacity = layout.capacity
        model.step()
        fig = views.network_figure(model)
        ax = fig.axes[0]
        after = ax.transData.transform(ax.collections[1].get_offsets())
        old = len(tribe_before)
        stayed = (p.tribe[:old] == tribe_before) & active_before & p.active[:old]
        assert stayed.sum() > 0.5 * active_before.sum()
        if layout.capacity == capacity:  # the picture zooms out only when tribes outgrow it
            assert (ax.get_xlim(), ax.get_ylim()) == limits
            assert np.array_equal(before[:old][stayed], after[:old][stayed])
        changed = p.tribe[:old] != tribe_before
        moved_people += int((np.abs(after[:old] - before[:old]).sum(axis=1) > 0)[changed].sum())
    assert moved_people > 0  # people who changed tribe did move
    assert layout is layout_for(model)


def test_layout_extent_grows_only_when_tribes_outgrow_it():
    layout = StableLayout()
    args = (np.zeros(40, int), np.ones(40, bool))
    layout.positions(np.arange(40) % 5, *args, np.arange(5))
    first = layout.extent
    assert layout.capacity == 16
    for living in (np.arange(10), np.arange(16), np.arange(3)):
        layout.positions(np.arange(40) % len(living), *args, living)
        assert layout.extent == first
    layout.positions(np.arange(40) % 17, *args, np.arange(17))
    assert layout.capacity == 24 and layout.extent > first


def test_layout_reuses_freed_slots():
    layout = StableLayout()
    tribe = np.array([0, 1, 2])
    args = (np.zeros(3, int), np.ones(3, bool))
    layout.positions(tribe, *args, np.array([0, 1, 2]))
    assert layout.slot_of == {0: 0, 1: 1, 2: 2}
    layout.positions(np.array([0, 3, 2]), *args, np.array([0, 2, 3]))
    assert layout.slot_of == {0: 0, 2: 2, 3: 1}


def test_tribes_view_shows_table_and_chart(model):
    table = views.tribes_table(model)
    assert len(table) == len(model.tribes.living())
    assert list(table["size"]) == sorted(table["size"], reverse=True)
    assert {"purpose (top themes)", "leader", "age", "throughput (total)"} <= set(table.columns)
    from solara.components.datatable import DataTableWidget

    box, rc = solara.render(views.TribesView(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")
    assert rc.find(DataTableWidget).widget.total_length == len(table)


def test_kanban_view_shows_the_chosen_tribes_columns_against_limits(model):
    box, rc = solara.render(views.KanbanView(model), handle_error=False)
    titles = [c.children[0] for c in rc.find(v.CardTitle).widgets]
    assert len(titles) == 3
    assert titles[0].startswith("ready") and f"limit {model.cfg.wip_ready}" in titles[0]
    biggest = int(model.tribes.living()[np.argmax(model.tribes.size[model.tribes.living()])])
    cards = views.board_columns(model, biggest)
    assert titles[1].startswith(f"doing {len(cards['doing'])}")
    select = rc.find(v.Select).widget
    other = select.items[1]
    select.v_model = other
    titles = [c.children[0] for c in rc.find(v.CardTitle).widgets]
    cards = views.board_columns(model, int(other))
    assert titles[0].startswith(f"ready {len(cards['ready'])}")


def test_event_feed_lists_the_latest_events(model):
    lines = views.event_lines(model)
    events = model.event_log()
    assert lines and lines[0].startswith(f"step {events['step'].iloc[-1]}")
    box, rc = solara.render(views.EventFeed(model), handle_error=False)
    assert rc.find(v.CardTitle).widget.children == [f"Latest events, step {model.steps}"]


def test_time_series_plot_the_step_table(model):
    fig = views.time_series_figure(model)
    table = model.step_table()
    lines = [ax.get_lines()[0] for ax in fig.axes]
    for line, (column, _) in zip(lines, views.TIME_SERIES, strict=True):
        y = np.asarray(line.get_ydata(), dtype=float)
        assert np.allclose(y, table[column].to_numpy(), equal_nan=True)
    box, rc = solara.render(views.TimeSeriesView(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")


def test_app_builds_models_from_the_sidebar_parameters():
    import app

    for preset in ("hierarchy", "holacracy"):
        m = app.make_model(preset=preset, people=50, rng=1)
        assert m.cfg.membership == {"hierarchy": "assigned", "holacracy": "voluntary"}[preset]
        assert m.cfg.people == 50
