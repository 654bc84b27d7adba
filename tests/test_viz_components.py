"""Component tests for each view of the app (rendered as widgets, no browser)."""

from __future__ import annotations

import io

import ipyvuetify as v
import ipywidgets
import matplotlib.text
import numpy as np
import pytest

solara = pytest.importorskip("solara")

from model.metrics import metric  # noqa: E402
from viz import components as views  # noqa: E402
from viz.layout import StableLayout, layout_for  # noqa: E402


def app_model(preset: str = "purposeful", seed: int = 3, **changed):
    """A model as the app builds it from the sidebar."""
    from viz.controls import Settings
    from viz.page import make_model

    settings = Settings(preset)
    for name, value in {"people": 120, **changed}.items():
        settings = settings.set(name, value)
    return make_model(settings, seed)


@pytest.fixture
def model():
    m = app_model()
    m.run(6)
    return m


def test_network_figure_marks_tribes_leaders_and_gone_people(model, monkeypatch):
    monkeypatch.setattr(views, "LABELLED", 5)  # fewer than the tribes, to see which are named
    fig = views.network_figure(model)
    ax = fig.axes[0]
    people, loose = ax.collections[1], ax.collections[2]
    p = model.people
    assert len(people.get_offsets()) == p.n
    alpha = people.get_facecolors()[:, 3]
    active, affiliated = p.active[: p.n], p.tribe[: p.n] >= 0
    assert np.allclose(alpha[~active & affiliated], 0.12)
    assert np.allclose(alpha[active & affiliated], 1.0)
    assert np.allclose(alpha[~affiliated], 0.0)  # drawn as hollow rings instead
    assert len(loose.get_offsets()) == int((active & ~affiliated).sum()) > 0
    leaders = ax.collections[3]
    living = model.tribes.living()
    assert len(leaders.get_offsets()) == int((model.tribes.leader[living] >= 0).sum())
    # the largest tribes are labelled with their ids where their clusters are
    labelled = {int(t.get_text()): t.get_position() for t in ax.texts}
    by_size = living[np.argsort(-model.tribes.size[living], kind="stable")]
    assert set(labelled) == set(by_size[:5].tolist()) and len(living) > 5
    biggest = int(by_size[0])
    cluster = people.get_offsets()[(p.tribe[: p.n] == biggest) & active]
    assert np.allclose(labelled[biggest], cluster.mean(axis=0))
    assert f"step {model.steps}" in ax.get_title()
    fig.savefig(io.BytesIO(), format="png")
    box, rc = solara.render(views.NetworkView(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")


def test_tribe_colours_are_never_grey_and_differ_from_no_tribe():
    colours = views.tribe_colour(np.arange(200))
    rgb = colours[:, :3]
    spread = rgb.max(axis=1) - rgb.min(axis=1)
    assert spread.min() > 0.2, "a tribe colour must not look grey"
    assert np.array_equal(views.tribe_colour(np.array([-1]))[0], views.UNAFFILIATED)
    # neighbours in id order differ: repeats only every len(PALETTE) tribes
    assert len({tuple(c) for c in colours[: len(views.PALETTE)]}) == len(views.PALETTE)


def test_settings_line_shows_preset_size_seed_policies_and_central_values(model):
    line = views.settings_line(model)
    assert line.startswith("purposeful: 120 people, seed 3;")
    for policy in ("membership voluntary", "leadership emergent", "hiring replace"):
        assert policy in line
    assert f"wip_doing {model.cfg.wip_doing}" in line
    box, rc = solara.render(views.NetworkView(model), handle_error=False)  # shown above it
    assert rc.find(v.Html).widget.children == [line]
    assert views.settings_line(app_model("hierarchy", seed=9)).startswith(
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


def test_tribes_view_shows_rounded_table_with_theme_weights_and_chart(model):
    table = views.tribes_table(model)
    assert len(table) == len(model.tribes.living())
    assert list(table["size"]) == sorted(table["size"], reverse=True)
    assert np.array_equal(table["division (0-1)"], table["division (0-1)"].round(2))
    frame = model.tribes_frame(living_only=True).set_index("tribe")
    first = table.iloc[0]
    main = int(frame.loc[first["tribe"], "main_theme"])
    weight = frame.loc[first["tribe"], f"purpose_{main}"]
    assert first["purpose: top themes (weight)"].startswith(f"theme {main} ({weight:.2f})")
    from solara.components.datatable import DataTableWidget

    box, rc = solara.render(views.TribesView(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")
    assert rc.find(DataTableWidget).widget.total_length == len(table)
    assert views.THEMES_NOTE in [w.children[0] for w in rc.find(v.Html).widgets]


def test_figures_have_a_unit_on_every_axis_and_readable_text(model):
    series = views.time_series_figure(model)
    tribes = views.tribes_figure(views.tribes_table(model))
    for ax in series.axes + tribes.axes:
        assert ax.get_ylabel(), f"{ax.get_title()}: no unit on the y axis"
        assert ax.get_title()
    assert [ax.get_xlabel() for ax in series.axes[6:]] == ["step"] * 3
    titles = [ax.get_title() for ax in series.axes]
    assert all(metric(name).label in titles for name in ("arrived", "served", "utilization"))
    assert tribes.axes[0].get_xlabel() == "tribe"
    for fig in (series, tribes, views.network_figure(model)):
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
        smallest = min(t.get_fontsize() for t in texts) * views.DPI / 72
        assert smallest >= 10, f"text of {smallest:.0f} px at the figure's own size"


def test_kanban_view_shows_the_chosen_tribes_columns_against_limits(model):
    box, rc = solara.render(views.KanbanView(model), handle_error=False)
    texts = [w.children[0] for w in rc.find(v.Html).widgets]
    headers = [t for t in texts if t.split(":")[0] in ("ready", "doing", "review")]
    assert len(headers) == 3
    assert f"(limit {model.cfg.wip_ready})" in texts
    biggest = int(model.tribes.living()[np.argmax(model.tribes.size[model.tribes.living()])])
    cards = views.board_columns(model, biggest)
    assert headers[1] == f"doing: {len(cards['doing'])}"
    select = rc.find(v.Select).widget
    other = select.items[1]
    select.v_model = other
    texts = [w.children[0] for w in rc.find(v.Html).widgets]
    cards = views.board_columns(model, int(other))
    assert f"ready: {len(cards['ready'])}" in texts
    under_push = app_model("hierarchy")
    under_push.run(2)
    box, rc = solara.render(views.KanbanView(under_push), handle_error=False)
    assert "(no limit)" in [w.children[0] for w in rc.find(v.Html).widgets]


def test_event_feed_filters_before_taking_the_latest():
    """The feed leaves out a kind of event (tribe conflicts) before it takes the latest: when
    the left-out kinds are most of the recent log, it reads further back."""
    m = app_model("hierarchy", people=300, seed=0)
    m.run(10)
    log = m.event_log()
    from model.events import EVENT_KINDS

    flood = tuple(kind for kind in EVENT_KINDS if kind != "founded")
    # the case that needs filtering first: taking the latest 4 x 12 and then filtering would
    # leave fewer than 12
    assert (~log.tail(48)["event"].isin(flood)).sum() < 12
    kept = views.latest_events(m, 12, skip=flood)
    expected = log[~log["event"].isin(flood)].tail(12)
    assert kept.reset_index(drop=True).equals(expected.reset_index(drop=True))
    lines = views.event_lines(m)  # the feed itself: the latest twelve that are not conflicts
    assert len(lines) == 12
    expected = log[log["event"] != "conflict"].tail(12).iloc[::-1]
    assert [int(line.split(":")[0].split()[1]) for line in lines] == list(expected["step"])
    assert not any("conflict" in line.split("(")[0] for line in lines)
    box, rc = solara.render(views.EventFeed(m), handle_error=False)
    assert rc.find(v.CardTitle).widget.children == [f"Latest events, step {m.steps}"]


def test_time_series_plot_the_headline_metrics(model):
    fig = views.time_series_figure(model)
    table = model.step_table()
    from model.metrics import metric

    for ax, column in zip(fig.axes, views.HEADLINE, strict=True):
        y = np.asarray(ax.get_lines()[0].get_ydata(), dtype=float)
        assert np.allclose(y, table[column].to_numpy(), equal_nan=True)
        assert (ax.get_title(), ax.get_ylabel()) == (metric(column).label, metric(column).unit)
    box, rc = solara.render(views.TimeSeriesView(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")


# ---------------------------------------------------------------- the sidebar's settings
def test_sidebar_defaults_come_from_config_and_presets_are_not_overridden():
    from model import PRESETS, Config
    from viz.controls import CENTRAL, POLICIES, Settings

    for preset in PRESETS:
        settings = Settings(preset)
        assert settings.model_kwargs(5) == {"preset": preset, "rng": 5}  # nothing forced
        built = Config.build(preset)
        for name in (*POLICIES, *(entry[0] for entry in CENTRAL)):
            assert settings.value(name) == getattr(built, name)
    hierarchy = Settings("hierarchy")
    assert hierarchy.value("membership") == "assigned" and hierarchy.value("work") == "push"
    assert Settings().value("wip_doing") == Config.spec("wip_doing").default


def test_sidebar_keeps_only_real_changes_and_carries_them_across_presets():
    from model import Config
    from viz.controls import Settings, clean

    changed = Settings("hierarchy").set("membership", "voluntary").set("outside_option", 0.6)
    assert changed.changed == {"membership": "voluntary", "outside_option": 0.6}
    assert changed.set("membership", "assigned").changed == {"outside_option": 0.6}
    # under purposeful, voluntary membership is the preset's own: no longer a change
    assert changed.with_preset("purposeful").changed == {"outside_option": 0.6}
    # a slider reaching the default by float steps is not a change
    default = Config.spec("outside_option").default
    stepped = default + 3e-17 * 2 ** 3  # what adding up float steps leaves, e.g. 0.1 + 0.2
    assert stepped != default
    assert Settings().set("outside_option", clean("outside_option", stepped)).changed == {}
    assert clean("wip_doing", 3.0) == 3 and isinstance(clean("wip_doing", 3.0), int)


def test_slider_ranges_lie_in_config_and_hold_every_presets_value():
    from model import PRESETS, Config
    from viz.controls import CENTRAL, is_integer

    for name, _, lo, hi, step in CENTRAL:
        meta = Config.spec(name).metadata
        assert meta["lo"] <= lo < hi <= meta["hi"], name
        for preset in PRESETS:
            assert lo <= getattr(Config.build(preset), name) <= hi, (name, preset)
        assert is_integer(name) == isinstance(Config.spec(name).default, int), name
        if is_integer(name):
            assert float(step).is_integer()


def test_parameter_groups_follow_config_groups():
    from model import Config
    from viz.controls import CENTRAL, GROUP_TITLES, parameter_groups

    grouped = [(title, [entry[0] for entry in entries]) for title, entries in parameter_groups()]
    assert sum(len(names) for _, names in grouped) == len(CENTRAL)
    for title, names in grouped:
        for name in names:
            assert GROUP_TITLES[Config.group_of(name)] == title


def test_settings_panel_shows_values_and_a_policy_select_changes_the_model():
    from viz.controls import POLICIES, Settings, SettingsPanel
    from viz.page import make_model

    settings = solara.reactive(Settings("hierarchy"))
    box, rc = solara.render(SettingsPanel(settings), handle_error=False)
    selects = {w.label: w for w in rc.find(v.Select).widgets}
    assert {"Preset", *(p.capitalize() for p in POLICIES)} <= set(selects)
    assert selects["Membership"].v_model == "assigned"
    sliders = [w.label for w in rc.find(v.Slider).widgets]
    assert "Outside option (jobs elsewhere): 0.35" in sliders  # the value is on screen
    selects["Membership"].v_model = "voluntary"
    assert settings.value.changed == {"membership": "voluntary"}
    labels = [w.label for w in rc.find(v.Select).widgets]
    assert "Membership (changed)" in labels
    m = make_model(settings.value, 1)
    assert m.cfg.membership == "voluntary" and m.cfg.work == "push"  # the rest stays hierarchy
    selects = {w.label: w for w in rc.find(v.Select).widgets}
    selects["Preset"].v_model = "matrix"
    assert settings.value.preset == "matrix"
    assert {w.label: w for w in rc.find(v.Select).widgets}["Leadership"].v_model == "appointed"


# ---------------------------------------------------------------- comparison and export
def test_pair_steps_two_configurations_in_lockstep_under_one_seed():
    from viz.compare import ComparisonView, headline_table
    from viz.controls import Settings
    from viz.page import make_pair

    a = Settings("purposeful").set("people", 100)
    pair = make_pair(a, Settings("hierarchy").set("people", 100), 4)
    alone = app_model("hierarchy", seed=4, people=100)
    start_a, start_b = pair.a.people_frame(), pair.b.people_frame()
    assert start_a[["unit", "tribe"]].equals(start_b[["unit", "tribe"]])  # same start
    for _ in range(5):
        pair.step()
        alone.step()
    assert pair.steps == pair.a.steps == pair.b.steps == 5
    assert pair.b.step_table().equals(alone.step_table())  # B is the run it would be alone
    assert not pair.a.step_table().equals(pair.b.step_table())
    table = headline_table(pair)
    assert list(table.columns) == ["metric", "summary", "A now", "B now", "A, 2nd half",
                                   "B, 2nd half", "B - A, 2nd half"]
    assert table.loc[0, "B now"] == pair.b.step_table()["throughput"].iloc[-1]
    retention = table[table["metric"].str.startswith("retention")].iloc[0]
    assert retention["summary"] == "value at the last step"
    assert retention["B, 2nd half"] == round(pair.b.step_table()["retention"].iloc[-1], 3)
    assert pair.labels() == ("A: purposeful with people 100", "B: hierarchy with people 100")
    box, rc = solara.render(ComparisonView(pair), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")
    texts = [w.children[0] for w in rc.find(v.Html).widgets]
    assert "Compared at step 5, seed 4 for both" in texts


def test_export_holds_steps_events_and_configuration(model):
    import json
    import zipfile

    import pandas as pd

    from viz.export import export_name, export_zip

    archive = zipfile.ZipFile(io.BytesIO(export_zip({"": model})))
    assert sorted(archive.namelist()) == ["config.json", "events.csv", "steps.csv"]
    steps = pd.read_csv(archive.open("steps.csv"))
    assert len(steps) == model.steps + 1
    assert np.allclose(steps["throughput"], model.step_table()["throughput"])
    events = pd.read_csv(archive.open("events.csv"))
    assert len(events) == len(model.event_log())
    config = json.load(archive.open("config.json"))
    assert config["parameters"] == model.cfg.to_dict()
    assert (config["preset"], config["seed"], config["steps"]) == ("purposeful", 3, 6)
    other = app_model("hierarchy")
    both = zipfile.ZipFile(io.BytesIO(export_zip({"a": model, "b": other})))
    assert {name.split("/")[0] for name in both.namelist()} == {"a", "b"}
    assert export_name({"a": model, "b": other}) == \
        "purposeful-purposeful-vs-hierarchy-seed3-step6.zip"


# ---------------------------------------------------------------- Mesa's own components
def test_mesa_plot_component_works_and_space_component_needs_a_space(model):
    """What the README says about Mesa's visualization components, on the installed Mesa."""
    from mesa.visualization import make_plot_component, make_space_component

    made = make_plot_component("throughput")
    component = made[0] if isinstance(made, tuple) else made  # (component, page) on 3.3
    box, rc = solara.render(component(model), handle_error=False)
    assert bytes(rc.find(ipywidgets.Image).widget.value).startswith(b"\x89PNG")
    made = make_space_component()
    component = made[0] if isinstance(made, tuple) else made
    with pytest.raises(Exception, match="space"):
        solara.render(component(model), handle_error=False)


def test_constellations_are_drawn_and_named_and_cards_show_item_parts():
    """Issue #12 in the app: tribes of one constellation are joined on the network and named
    in the table; a card of an item that needs several tribes says which part it is and which
    tribe handed it off."""
    m = app_model("constellation", people=200, seed=1, cross_tribe_share=0.5)
    m.run(60)
    of = views.tribe_constellations(m)
    assert of, "no tribe federated in 60 steps"
    sizes: dict[int, int] = {}
    for c in of.values():
        sizes[c] = sizes.get(c, 0) + 1
    links = views.network_figure(m).axes[0].collections[6]
    # a star per constellation: one segment fewer than its tribes
    assert len(links.get_segments()) == sum(size - 1 for size in sizes.values()) > 0
    table = views.tribes_table(m).set_index("tribe")
    for tribe, c in of.items():
        assert table.loc[tribe, "constellation"] == f"C{c}"
    assert (table["constellation"] == "none").sum() == len(table) - len(of)
    items = m.board.items
    handed = np.flatnonzero((items.part[: items.n] > 0) & (items.tribe[: items.n] >= 0)
                            & np.isin(items.stage[: items.n], (1, 2, 3)))
    assert len(handed)
    row = int(handed[0])
    text = views.card_text(items, row, 0.25)
    assert text == (f"item {items.id[row]}: 25% done (part {items.part[row] + 1} of "
                    f"{items.parts[row]}, from tribe {items.previous_tribe[row]})")
    tribe = int(items.tribe[row])
    column = {1: "ready", 2: "doing", 3: "review"}[int(items.stage[row])]
    assert any(card.startswith(f"item {items.id[row]}:") and "part" in card
               for card in views.board_columns(m, tribe)[column])
    whole = np.flatnonzero(items.parts[: items.n] == 1)
    assert views.card_text(items, int(whole[0]), 0.5) == f"item {items.id[whole[0]]}: 50% done"


def test_person_inspector_follows_one_person_through_the_activity_record():
    """Issue #13's day in the life in the app: the inspector's trajectory is the person's
    standing in the activity record, their tribes and roles are their events, their ties are
    their tie slots, and a person who is not in the run is said to be missing."""
    from viz import inspector

    m = app_model(seed=2)
    m.run(25)
    person = inspector.default_person(m)
    row = inspector.person_row(m, person)
    assert row >= 0 and m.people.active[row]
    path = inspector.trajectory(m, person)
    standing = m.activity()[1]
    mine = standing[standing["person"] == person].set_index("step")
    assert list(path["step"]) == list(mine.index)
    assert np.allclose(path["engagement"].to_numpy(), mine["engagement"].to_numpy())
    line = inspector.trajectory_figure(m, person).axes[0].get_lines()[1]
    assert np.allclose(line.get_ydata(), mine["engagement"].to_numpy())
    events = inspector.path_events(m, person)
    log = m.event_log()
    assert len(events) == int(((log["person"] == person)
                               & log["event"].astype(str).isin(inspector.PATH_EVENTS)).sum()) > 0
    ties = inspector.ties_table(m, person)
    assert len(ties) == int((m.people.tie_to[row] >= 0).sum())
    assert list(ties["tie (0-1)"]) == sorted(ties["tie (0-1)"], reverse=True)
    acts = inspector.latest_acts(m, person)
    assert len(acts) <= inspector.LATEST and (acts["activity"] != "-").all()
    assert set(acts["activity"]) <= {"worked", "worked_with", "reviewed", "was_reviewed", "met"}
    assert "No person 999999" in inspector.person_summary(m, 999999)
    box, rc = solara.render(inspector.PersonInspector(m), handle_error=False)
    texts = [w.children[0] for w in rc.find(v.Html).widgets]
    assert any(t.startswith(f"Person {person}: in tribe") for t in texts)
