"""The app's views, as Solara components for Mesa's SolaraViz.

Each view is a function of the model that re-renders after every step (it reads Mesa's
`update_counter`, as Mesa's own plot components do). Views use plain text, tables and
matplotlib images only: solara.Markdown would fetch mermaid and KaTeX from a CDN.
"""

from __future__ import annotations

import weakref

import matplotlib
import numpy as np
import pandas as pd
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization.utils import update_counter

from viz.layout import layout_for

matplotlib.use("Agg")

PALETTE = matplotlib.colormaps["tab20"]
EVENT_VERBS = {"joined": "joined", "left": "left", "leader_changed": "now leads",
               "exited": "left the organization", "hired": "was hired"}


def tribe_colour(tribe_ids: np.ndarray) -> np.ndarray:
    """A stable colour per tribe id (grey for none)."""
    colours = PALETTE(np.asarray(tribe_ids) % 20)
    colours[np.asarray(tribe_ids) < 0] = (0.6, 0.6, 0.6, 1.0)
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
    ties, people, leaders, value, innovation = ax.collections
    src = np.repeat(np.arange(n), p.tie_to.shape[1])
    dst = p.tie_to[:n].ravel()
    ok = (dst >= 0) & (p.tie_w[:n].ravel() > 0.2) & active[src] & active[np.maximum(dst, 0)]
    ties.set_segments(np.stack([pos[src[ok]], pos[dst[ok]]], axis=1))
    colours = tribe_colour(p.tribe[:n])
    colours[~active, 3] = 0.12
    people.set_offsets(pos)
    people.set_sizes(6 + 40 * p.engagement[:n])
    people.set_facecolor(colours)
    for marks, role in ((leaders, tribes.leader), (value, tribes.value_champion),
                        (innovation, tribes.innovation_champion)):
        holders = role[living]
        marks.set_offsets(pos[holders[holders >= 0]].reshape(-1, 2))
    ax.set_title(f"step {model.steps}: {int(active.sum())} people, {len(living)} tribes, "
                 f"{int((active & (p.tribe[:n] < 0)).sum())} unaffiliated", fontsize="small")
    ax.set_xlim(-layout.extent, layout.extent)  # fixed, so that dots do not move on screen
    ax.set_ylim(-layout.extent, layout.extent)
    return fig


def new_network_figure() -> Figure:
    """The empty network figure: ties, people, leaders and champions, and the legend."""
    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    empty = np.empty((0, 2))
    ax.add_collection(LineCollection([], colors=(0.5, 0.5, 0.5, 0.08), linewidths=0.5))
    ax.scatter(empty[:, 0], empty[:, 1], linewidths=0)
    ax.scatter(empty[:, 0], empty[:, 1], s=90, facecolors="none", edgecolors="black",
               linewidths=1.2, label="leader")
    ax.scatter(empty[:, 0], empty[:, 1], s=14, marker="^", c="black", label="value champion")
    ax.scatter(empty[:, 0], empty[:, 1], s=14, marker="s", c="black",
               label="innovation champion")
    ax.legend(loc="upper right", fontsize="x-small", frameon=False)
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
                                format="png", dpi=72)


def tribes_table(model) -> pd.DataFrame:
    """Living tribes, largest first: size, top themes, leader, age, throughput."""
    frame = model.tribes_frame(living_only=True)
    table = frame[["tribe", "size", "top_themes", "leader", "age", "done_total", "ready",
                   "doing", "review", "division"]].rename(columns={
                       "top_themes": "purpose (top themes)", "done_total": "throughput (total)"})
    return table.sort_values(["size", "tribe"], ascending=[False, True]).reset_index(drop=True)


def tribes_figure(table: pd.DataFrame, top: int = 15) -> Figure:
    """Size and throughput of the largest tribes."""
    fig = Figure(figsize=(6, 2.2))
    ax = fig.subplots()
    part = table.head(top)
    x = np.arange(len(part))
    ax.bar(x, part["size"], color=tribe_colour(part["tribe"].to_numpy()))
    ax.set_xticks(x, part["tribe"].astype(str), fontsize="x-small")
    ax.set_ylabel("members", fontsize="small")
    ax.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    for k, (size, done) in enumerate(zip(part["size"], part["throughput (total)"], strict=True)):
        ax.annotate(str(done), (k, size), xytext=(0, 1), textcoords="offset points",
                    ha="center", va="bottom", fontsize="x-small", color="black")
    ax.set_ylim(0, max(part["size"].max(), 1) * 1.2)  # room for the numbers above the bars
    ax.set_title(f"the {len(part)} largest tribes (numbers: items done)", fontsize="small")
    return fig


@solara.component
def TribesView(model):
    """The tribes as a chart and a table."""
    update_counter.get()
    table = tribes_table(model)
    with solara.Column():
        solara.FigureMatplotlib(tribes_figure(table), format="png", dpi=72)
        solara.DataFrame(table, items_per_page=5)


def board_columns(model, tribe: int) -> dict[str, list[str]]:
    """Item cards in each column of a tribe's board."""
    items = model.board.items
    rows = np.flatnonzero(items.tribe[: items.n] == tribe)
    cards: dict[str, list[str]] = {"ready": [], "doing": [], "review": []}
    names = {1: "ready", 2: "doing", 3: "review"}
    for row in rows[np.argsort(items.since[rows], kind="stable")]:
        stage = int(items.stage[row])
        if stage in names:
            done = 1 - max(float(items.remaining[row]), 0.0) / float(items.effort[row])
            cards[names[stage]].append(f"#{items.id[row]} {done:.0%}")
    return cards


@solara.component
def KanbanView(model):
    """The Kanban board of a chosen tribe, against its WIP limits."""
    update_counter.get()
    chosen, set_chosen = solara.use_state(None)
    living = model.tribes.living()
    if len(living) == 0:
        solara.Text("No tribes.")
        return
    by_size = living[np.argsort(-model.tribes.size[living], kind="stable")]
    options = [str(t) for t in by_size[:40]]
    tribe = chosen if chosen in options else options[0]
    limits = model.rules.work.limits()
    cards = board_columns(model, int(tribe))
    with solara.Column():
        solara.Select(label="Tribe", value=tribe, values=options, on_value=set_chosen)
        with solara.Columns([1, 1, 1]):
            for k, (name, column) in enumerate(cards.items(), start=1):
                limit = "no limit" if limits is None else f"limit {limits[k]}"
                with solara.Card(f"{name} {len(column)} ({limit})"):
                    with solara.Column(gap="0px"):
                        for card in column or ["empty"]:
                            solara.Text(card)


def event_lines(model, last: int = 12) -> list[str]:
    """The latest events, newest first, in words."""
    events = model.events.latest(4 * last)
    events = events[events["event"] != "conflict"].tail(last).iloc[::-1]
    lines = []
    for step, kind, person, tribe, other, detail in events.itertuples(index=False):
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
    # the step is shown here too: Mesa's own counter reads "Step" in 3.3 and "Time" in 3.5
    with solara.Card(f"Latest events, step {model.steps}"):
        with solara.Column(gap="2px"):
            for line in lines or ["No events yet."]:
                solara.Text(line)


def settings_line(model) -> str:
    """The settings of the model on screen (the sidebar's sliders show values only while
    dragged)."""
    cfg = model.cfg
    seed = "-" if model.seed is None else model.seed
    rules = " / ".join(f"{name} {getattr(cfg, name)}" for name in
                       ("membership", "leadership", "purpose", "work", "conflict"))
    return (f"{model.preset or 'custom'}: {cfg.people} people, seed {seed}; {rules}; "
            f"WIP limit (doing) {cfg.wip_doing}, arrivals {cfg.arrival_rate:g}, turbulence "
            f"{cfg.turbulence:g}, outside option {cfg.outside_option:g}, reconsider "
            f"{cfg.consider_rate:g}, passion drift {cfg.passion_drift:g}")


TIME_SERIES = (("throughput", "items done per step"), ("lead_time", "lead time (steps)"),
               ("retention", "retention and engagement"), ("tribes", "living tribes"))


def time_series_figure(model) -> Figure:
    """Throughput, lead time, retention with engagement, and the number of tribes, by step
    (one figure, so one image per redraw). The figure is made once per model and its lines
    updated: making axes and their ticks costs more than drawing the lines."""
    fig = reused_figure(model, "time_series", new_time_series_figure)
    table = model.datacollector.get_model_vars_dataframe()
    for ax, (column, _) in zip(fig.axes, TIME_SERIES, strict=True):
        lines = ax.get_lines()
        lines[0].set_data(table["step"], table[column])
        if column == "retention":
            lines[1].set_data(table["step"], table["engagement"])
        ax.relim()
        ax.autoscale_view()
    return fig


def new_time_series_figure() -> Figure:
    """The empty time-series figure: four panels, their lines, titles and ticks."""
    fig = Figure(figsize=(7, 4.6))
    # fixed margins: tight_layout would cost more than drawing the lines
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1, top=0.93, wspace=0.25, hspace=0.3)
    axes = fig.subplots(2, 2, sharex=True).ravel()
    for ax, (column, title) in zip(axes, TIME_SERIES, strict=True):
        ax.plot([], [], lw=1.2)
        if column == "retention":
            ax.plot([], [], lw=1.2, label="engagement")
            ax.legend(fontsize="x-small", frameon=False)
        ax.set_title(title, fontsize="small")
        ax.tick_params(labelsize="x-small")
        # tick labels are most of matplotlib's drawing time: a few per axis
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    for ax in axes[2:]:
        ax.set_xlabel("step", fontsize="small")
    return fig


_FIGURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reused_figure(model, name: str, make) -> Figure:
    """The figure `name` of this model, made by `make()` the first time (a new model, e.g.
    after Reset, gets new figures)."""
    figures = _FIGURES.setdefault(model, {})
    if name not in figures:
        figures[name] = make()
    return figures[name]


@solara.component
def TimeSeriesView(model):
    """Throughput, lead time, retention, engagement and tribes over time."""
    counter = update_counter.get()
    solara.FigureMatplotlib(time_series_figure(model), dependencies=[model, counter],
                            format="png", dpi=72)


COMPONENTS = [NetworkView, TimeSeriesView, TribesView, KanbanView, EventFeed]
