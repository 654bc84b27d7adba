"""The app's views, as Solara components for Mesa's SolaraViz.

Each view is a function of the model that re-renders after every step (it reads Mesa's
`update_counter`, as Mesa's own plot components do). Views use plain text, tables and
matplotlib images only: solara.Markdown would fetch mermaid and KaTeX from a CDN.
"""

from __future__ import annotations

import weakref
from typing import cast

import matplotlib
import numpy as np
import pandas as pd
import solara
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization.utils import update_counter

from model.metrics import metric
from viz.layout import layout_for

matplotlib.use("Agg")

# tab20 without its greys and greyish pastels: no tribe may look like the people in no tribe
# (hollow grey rings). Colours repeat every len(PALETTE) tribes, so the largest tribes'
# clusters and every bar are labelled with the tribe's id.
PALETTE = np.array([matplotlib.colormaps["tab20"](k) for k in range(20)
                    if k not in (9, 11, 14, 15)])
UNAFFILIATED = (0.45, 0.45, 0.45, 1.0)
FONT = 10          # points; figures are drawn at DPI dots per inch
LABELLED = 25      # tribes whose id is written on the network, largest first
DPI = 100
EVENT_VERBS = {"joined": "joined", "left": "left", "leader_changed": "now leads",
               "exited": "left the organization", "hired": "was hired"}
FEED_SKIPS = ("conflict",)  # one per divided tribe and step: they would crowd out the rest

# The headline metrics (titles, units and summaries come from their declarations): the
# outcomes, and beside them the regime they come from (is demand or capacity the limit?)
HEADLINE = ("throughput", "arrived", "served", "utilization", "lead_time", "wip", "retention",
            "engagement", "tribes")


def tribe_colour(tribe_ids: np.ndarray) -> np.ndarray:
    """A stable colour per tribe id; never grey (grey marks people in no tribe)."""
    ids = np.asarray(tribe_ids)
    colours = PALETTE[np.maximum(ids, 0) % len(PALETTE)].copy()
    colours[ids < 0] = UNAFFILIATED
    return colours


def network_figure(model) -> Figure:
    """People as dots coloured by tribe, sized by engagement; leaders and champions marked;
    people who left faded; ties between active people as faint lines. The figure is made once
    per model and its artists updated."""
    p, tribes = model.people, model.tribes
    n = p.n
    living = tribes.living()
    layout = layout_for(model)
    pos = layout.positions(p.tribe[:n], p.unit[:n], p.active[:n], living)
    active = p.active[:n]
    fig = reused_figure(model, "network", new_network_figure)
    ax = fig.axes[0]
    ties, people, loose, leaders, value, innovation, links = ax.collections
    assert isinstance(ties, LineCollection) and isinstance(links, LineCollection)
    assert isinstance(people, PathCollection) and isinstance(loose, PathCollection)
    src = np.repeat(np.arange(n), p.tie_to.shape[1])
    dst = p.tie_to[:n].ravel()
    ok = (dst >= 0) & (p.tie_w[:n].ravel() > 0.2) & active[src] & active[np.maximum(dst, 0)]
    ties.set_segments(list(np.stack([pos[src[ok]], pos[dst[ok]]], axis=1)))
    affiliated = p.tribe[:n] >= 0
    colours = tribe_colour(p.tribe[:n])
    colours[~active, 3] = 0.12
    colours[~affiliated] = (0, 0, 0, 0)  # drawn by `loose` instead
    sizes = 6 + 40 * p.engagement[:n]
    people.set_offsets(pos)
    people.set_sizes(sizes)
    people.set_facecolor(colours)  # type: ignore[arg-type]  # RGBA rows, which it takes
    unaffiliated = active & ~affiliated
    loose.set_offsets(pos[unaffiliated].reshape(-1, 2))
    loose.set_sizes(sizes[unaffiliated])
    for marks, role in ((leaders, tribes.leader), (value, tribes.value_champion),
                        (innovation, tribes.innovation_champion)):
        holders = role[living]
        marks.set_offsets(pos[holders[holders >= 0]].reshape(-1, 2))
    for label in list(ax.texts):
        label.remove()
    members = active & affiliated
    links.set_segments(constellation_links(
        group_centres(pos[members], p.tribe[:n][members]) if members.any() else {},
        tribe_constellations(model)))
    if members.any():
        # the largest tribes only: a label costs about 1.5 ms to draw, and hundreds of small
        # tribes' labels would cover the picture; the chart and table below name the rest
        largest = living[np.argsort(-tribes.size[living], kind="stable")[:LABELLED]]
        shown = members & np.isin(p.tribe[:n], largest)
        centres = group_centres(pos[shown], p.tribe[:n][shown])
        for tribe, (x, y) in centres.items():
            ax.text(x, y, str(tribe), fontsize=FONT - 2, ha="center", va="center",
                    color="black", alpha=0.8)
    ax.set_title(f"step {model.steps}: {int(active.sum())} people, {len(living)} tribes, "
                 f"{int(unaffiliated.sum())} in no tribe", fontsize=FONT)
    ax.set_xlim(-layout.extent, layout.extent)  # fixed, so that dots do not move on screen
    ax.set_ylim(-layout.extent, layout.extent)
    return fig


def tribe_constellations(model) -> dict[int, int]:
    """The constellation of each living tribe that is in one (issue #12's tribes of tribes)."""
    living = model.tribes.living()
    of = model.rules.federation.federated.constellation[living]
    return {int(t): int(c) for t, c in zip(living, of, strict=True) if c >= 0}


def constellation_links(centres: dict[int, tuple[float, float]],
                        constellation_of: dict[int, int]) -> list[np.ndarray]:
    """Line segments joining the centres of the tribes of each constellation: each tribe to
    the constellation's first (lowest id) tribe, a star per constellation."""
    hubs: dict[int, int] = {}
    segments = []
    for tribe in sorted(t for t in constellation_of if t in centres):
        hub = hubs.setdefault(constellation_of[tribe], tribe)
        if hub != tribe:
            segments.append(np.array([centres[hub], centres[tribe]]))
    return segments


def group_centres(pos: np.ndarray, groups: np.ndarray) -> dict[int, tuple[float, float]]:
    """Mean position of each group's points."""
    ids, index = np.unique(groups, return_inverse=True)
    counts = np.bincount(index)
    xs = np.bincount(index, weights=pos[:, 0]) / counts
    ys = np.bincount(index, weights=pos[:, 1]) / counts
    return {int(t): (float(x), float(y)) for t, x, y in zip(ids, xs, ys, strict=True)}


def new_network_figure() -> Figure:
    """The empty network figure: ties, people, people in no tribe, leaders and champions,
    and the legend."""
    fig = Figure(figsize=(5.8, 5.8))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.94)
    ax = fig.subplots()
    empty = np.empty((0, 2))
    ax.add_collection(LineCollection([], colors=(0.5, 0.5, 0.5, 0.08), linewidths=0.5))
    ax.scatter(empty[:, 0], empty[:, 1], linewidths=0)
    ax.scatter(empty[:, 0], empty[:, 1], facecolors="none", edgecolors=[UNAFFILIATED],
               linewidths=0.8, label="in no tribe")
    ax.scatter(empty[:, 0], empty[:, 1], s=90, facecolors="none", edgecolors="black",
               linewidths=1.2, label="leader")
    ax.scatter(empty[:, 0], empty[:, 1], s=14, marker="^", c="black", label="value champion")
    ax.scatter(empty[:, 0], empty[:, 1], s=14, marker="s", c="black",
               label="innovation champion")
    ax.add_collection(LineCollection([], colors=[(0.55, 0.1, 0.55, 0.45)], linewidths=3,
                                     label="constellation (tribes joined)"))
    ax.legend(loc="upper right", fontsize=FONT - 2, frameon=False,
              title=f"colour: tribe; number: tribe id\n(the {LABELLED} largest)",
              title_fontsize=FONT - 2)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


@solara.component
def NetworkView(model):
    """The model's settings in a line, and the social network."""
    counter = update_counter.get()
    with solara.Column(gap="0px"):
        solara.Text(settings_line(model), style={"font-size": "small"})
        # the figure object is reused: the dependencies say when to draw it again
        solara.FigureMatplotlib(network_figure(model), dependencies=[model, counter],
                                format="png", dpi=DPI)


def tribes_table(model) -> pd.DataFrame:
    """Living tribes, largest first, in words and rounded numbers: size, leader, age, purpose
    (its three strongest themes with their weights), items done, the board, division."""
    frame = model.tribes_frame(living_only=True)
    constellations = tribe_constellations(model)
    weights = frame[[f"purpose_{k}" for k in range(model.cfg.themes)]].to_numpy()
    top = np.argsort(-weights, axis=1, kind="stable")[:, :3]
    purpose = [", ".join(f"theme {k} ({row[k]:.2f})" for k in ks)
               for row, ks in zip(weights, top, strict=True)]
    table = pd.DataFrame({
        "tribe": frame["tribe"].to_numpy(),
        "size": frame["size"].to_numpy(),
        "leader": [f"person {x}" if x >= 0 else "none" for x in frame["leader"]],
        "age (steps)": frame["age"].to_numpy(),
        "purpose: top themes (weight)": purpose,
        "items done": frame["done_total"].to_numpy(),
        "ready / doing / review": [f"{a} / {b} / {c}" for a, b, c in
                                   zip(frame["ready"], frame["doing"], frame["review"],
                                       strict=True)],
        "division (0-1)": frame["division"].round(2).to_numpy(),
        "constellation": [_constellation_name(constellations.get(int(t)))
                          for t in frame["tribe"]],
    })
    return table.sort_values(["size", "tribe"], ascending=[False, True]).reset_index(drop=True)


def _constellation_name(constellation: int | None) -> str:
    return "none" if constellation is None else f"C{constellation}"


THEMES_NOTE = ("Themes are the model's abstract purpose themes, numbered from 0; a purpose is "
               "a unit-length vector over them, and the weights are its largest components. "
               "Division is the spread of members' passions around the purpose (section 3.2 of "
               "docs/ODD.md). A constellation (C and its id) is a tribe of tribes (section "
               "3.9).")


def tribes_figure(table: pd.DataFrame, top: int = 15) -> Figure:
    """Size and items done of the largest tribes, coloured as in the network."""
    fig = Figure(figsize=(6.4, 2.8))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.2, top=0.88)
    ax = fig.subplots()
    part = table.head(top)
    x = np.arange(len(part))
    ax.bar(x, part["size"], color=tribe_colour(part["tribe"].to_numpy()))
    ax.set_xticks(x, part["tribe"].astype(str), fontsize=FONT - 1)
    ax.set_xlabel("tribe", fontsize=FONT)
    ax.set_ylabel("members (people)", fontsize=FONT)
    ax.tick_params(labelsize=FONT - 1)
    ax.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    for k, (size, done) in enumerate(zip(part["size"], part["items done"], strict=True)):
        ax.annotate(str(done), (k, size), xytext=(0, 1), textcoords="offset points",
                    ha="center", va="bottom", fontsize=FONT - 2, color="black")
    ax.set_ylim(0, max(part["size"].max(), 1) * 1.25)  # room for the numbers above the bars
    ax.set_title(f"the {len(part)} largest tribes (above each bar: items done)", fontsize=FONT)
    return fig


@solara.component
def TribesView(model):
    """The tribes as a chart and a table."""
    update_counter.get()
    table = tribes_table(model)
    with solara.Column():
        solara.FigureMatplotlib(tribes_figure(table), format="png", dpi=DPI)
        solara.DataFrame(table, items_per_page=8)
        solara.Text(THEMES_NOTE, style={"font-size": "small"})


def board_columns(model, tribe: int) -> dict[str, list[str]]:
    """Item cards in each column of a tribe's board, oldest first."""
    items = model.board.items
    rows = np.flatnonzero(items.tribe[: items.n] == tribe)
    cards: dict[str, list[str]] = {"ready": [], "doing": [], "review": []}
    names = {1: "ready", 2: "doing", 3: "review"}
    for row in rows[np.argsort(items.since[rows], kind="stable")]:
        stage = int(items.stage[row])
        if stage in names:
            done = 1 - max(float(items.remaining[row]), 0.0) / float(items.effort[row])
            cards[names[stage]].append(card_text(items, row, done))
    return cards


def card_text(items, row: int, done: float) -> str:
    """An item's card: its id and progress; for a part of an item that needs several tribes,
    which part, and the tribe that handed it off."""
    text = f"item {items.id[row]}: {done:.0%} done"
    parts = int(items.parts[row])
    if parts > 1:
        text += f" (part {int(items.part[row]) + 1} of {parts}"
        previous = int(items.previous_tribe[row])
        text += f", from tribe {previous})" if previous >= 0 else ")"
    return text


def wip_limits(model) -> dict[int, int] | None:
    """The WIP limit of each board column (1 ready, 2 doing, 3 review), or None under push."""
    return model.rules.work.limits()


@solara.component
def KanbanView(model):
    """The Kanban board of a chosen tribe, against its WIP limits."""
    update_counter.get()
    chosen, set_chosen = solara.use_state(cast(str | None, None))
    living = model.tribes.living()
    if len(living) == 0:
        solara.Text("No tribes.")
        return
    by_size = living[np.argsort(-model.tribes.size[living], kind="stable")]
    options = [str(t) for t in by_size[:40]]
    tribe = chosen if chosen is not None and chosen in options else options[0]
    limits = wip_limits(model)
    cards = board_columns(model, int(tribe))
    with solara.Column():
        solara.Select(label="Board of tribe", value=tribe, values=options, on_value=set_chosen)
        with solara.Columns([1, 1, 1]):
            for k, (name, column) in enumerate(cards.items(), start=1):
                limit = "no limit" if limits is None else f"limit {limits[k]}"
                with solara.Card(margin=0):
                    # one word per line at most: a narrow column must not break "review"
                    solara.Text(f"{name}: {len(column)}", style={
                        "font-weight": "bold", "white-space": "nowrap"})
                    solara.Text(f"({limit})", style={"white-space": "nowrap",
                                                     "font-size": "small"})
                    with solara.Column(gap="0px"):
                        for card in column or ["empty"]:
                            solara.Text(card, style={"font-size": "small"})


def latest_events(model, count: int, skip: tuple[str, ...] = FEED_SKIPS) -> pd.DataFrame:
    """The latest `count` events whose kind is not in `skip`: filtered first, so that a run
    with many skipped events (conflicts under hierarchy) still shows the others. Reads back
    through the log in growing chunks until enough are found or the log is exhausted."""
    asked = 4 * count
    while True:
        events = model.events.latest(asked)
        kept = events[~events["event"].isin(skip)]
        if len(kept) >= count or len(events) < asked:
            return kept.tail(count)
        asked *= 4


def event_lines(model, last: int = 12) -> list[str]:
    """The latest events other than conflicts, newest first, in words."""
    lines = []
    for step, kind, person, tribe, other, detail in \
            latest_events(model, last).iloc[::-1].itertuples(index=False):
        if kind == "split":
            text = f"tribe {tribe} split off from tribe {other}"
        elif kind == "merged":
            text = f"tribe {tribe} absorbed tribe {other}"
        elif kind in ("dissolved", "pivoted"):
            text = f"tribe {tribe} {kind}"
        elif kind == "founded":
            text = f"person {person} founded tribe {tribe}" if person >= 0 else \
                f"tribe {tribe} was founded"
        else:
            where = f" tribe {tribe}" if tribe >= 0 else ""
            text = f"person {person} {EVENT_VERBS.get(kind, kind)}{where}"
        lines.append(f"step {step}: {text}" + (f" ({detail})" if detail else ""))
    return lines


@solara.component
def EventFeed(model):
    """The latest joins, departures, foundings and leader changes."""
    update_counter.get()
    lines = event_lines(model)
    conflicts = model.events.counts["conflict"]
    # the step is shown here too: Mesa's own counter reads "Step" in 3.3 and "Time" in 3.5
    with solara.Card(f"Latest events, step {model.steps}"):
        with solara.Column(gap="2px"):
            for line in lines or ["No events yet."]:
                solara.Text(line)
            solara.Text(f"Not listed: {conflicts} tribe conflicts so far (one per divided "
                        "tribe and step).", style={"font-size": "small"})


def settings_line(model) -> str:
    """The settings of the model on screen: preset, size, seed, the six policies and the
    central parameters."""
    from viz.controls import CENTRAL, POLICIES

    cfg = model.cfg
    seed = "-" if model.seed is None else model.seed
    rules = " / ".join(f"{name} {getattr(cfg, name)}" for name in POLICIES)
    values = ", ".join(f"{name} {getattr(cfg, name):g}" for name, *_ in CENTRAL
                       if name != "people")
    return f"{model.preset or 'custom'}: {cfg.people} people, seed {seed}; {rules}; {values}"


def time_series_figure(model) -> Figure:
    """The headline metrics by step, one panel each (one figure, so one image per redraw).
    The figure is made once per model and its lines updated: making axes and their ticks
    costs more than drawing the lines."""
    return paired_time_series_figure(model, [model], [None])


def paired_time_series_figure(key, models, labels) -> Figure:
    """The headline metrics by step for one or more models (under the same seed: paired),
    a line per model in each panel. `key` is what the figure is kept for."""
    fig = reused_figure(key, "time_series",
                        lambda: new_time_series_figure(len(models), labels))
    tables = [m.datacollector.get_model_vars_dataframe() for m in models]
    for ax, column in zip(fig.axes, HEADLINE, strict=True):
        for line, table in zip(ax.get_lines(), tables, strict=True):
            line.set_data(table["step"], table[column])
        ax.relim()
        ax.autoscale_view()
    return fig


def new_time_series_figure(lines: int = 1, labels=(None,)) -> Figure:
    """The empty time-series figure: a panel per headline metric with a unit on each axis,
    `lines` lines per panel."""
    fig = Figure(figsize=(9, 7.2))
    # fixed margins: tight_layout would cost more than drawing the lines
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.07, top=0.92 if lines > 1 else 0.95,
                        wspace=0.38, hspace=0.42)
    axes = fig.subplots(3, 3, sharex=True).ravel()
    colours = ("tab:blue", "tab:orange")
    for ax, column in zip(axes, HEADLINE, strict=True):
        for k in range(lines):
            # small markers: a step between two gaps (lead time) is a point, not a line
            ax.plot([], [], lw=1.3, marker=".", markersize=3, color=colours[k % 2],
                    label=labels[k])
        ax.set_title(metric(column).label, fontsize=FONT)
        ax.set_ylabel(metric(column).unit, fontsize=FONT - 1)
        ax.tick_params(labelsize=FONT - 1)
        # tick labels are most of matplotlib's drawing time: a few per axis
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    for ax in axes[6:]:
        ax.set_xlabel("step", fontsize=FONT)
    if lines > 1:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=lines,
                   fontsize=FONT, frameon=False)
    return fig


_FIGURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reused_figure(key, name: str, make) -> Figure:
    """The figure `name` kept for `key` (a model), made by `make()` the first time (a new
    model, e.g. after Reset, gets new figures)."""
    figures = _FIGURES.setdefault(key, {})
    if name not in figures:
        figures[name] = make()
    return figures[name]


@solara.component
def TimeSeriesView(model):
    """The headline metrics over time."""
    counter = update_counter.get()
    solara.FigureMatplotlib(time_series_figure(model), dependencies=[model, counter],
                            format="png", dpi=DPI)


COMPONENTS = [NetworkView, TimeSeriesView, TribesView, KanbanView, EventFeed]
