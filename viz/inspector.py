"""The person inspector: follow one person (issue #13's "day in the life").

Reads the run's activity record (`Organization.day_in_the_life`, kept because the app builds
its model with `Recording(activity=True)`), the event log and the person's row. People and
tribes are named by their ids, as in the event log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization.utils import update_counter

from viz.components import DPI, FONT, reused_figure

TRAJECTORY = (("fit", "fit"), ("engagement", "engagement"), ("commitment", "commitment"))
# the event kinds that say where a person belonged and what they led
PATH_EVENTS = ("hired", "joined", "left", "founded", "leader_changed", "exited", "sanctioned",
               "rejected", "life_pivot")
LATEST = 12  # acts shown


def default_person(model) -> int:
    """The leader of the largest living tribe, else the first active person (an id)."""
    tribes, people = model.tribes, model.people
    living = tribes.living()
    if len(living):
        leader = int(tribes.leader[living[np.argmax(tribes.size[living])]])
        if leader >= 0:
            return int(people.id[leader])
    active = np.flatnonzero(people.active[: people.n])
    return int(people.id[active[0]]) if len(active) else 0


def person_row(model, person: int) -> int:
    """The person's current row, or -1 if no row holds that id (never hired, or archived)."""
    return int(model.people.rows(np.array([person]))[0])


def person_summary(model, person: int) -> str:
    """One line: where the person is and how they stand now."""
    frame = model.people_frame()
    rows = frame[frame["person"] == person]
    if rows.empty:
        return f"No person {person} in this run (ids 0-{int(frame['person'].max())})."
    row = rows.iloc[0]
    if not row["active"]:
        return (f"Person {person} left at step {int(row['exit_step'])} "
                f"({row['exit_reason']}); hired at step {int(row['hired'])}.")
    tribe = f"tribe {int(row['tribe'])}" if row["tribe"] >= 0 else "no tribe"
    return (f"Person {person}: in {tribe}, fit {row['fit']:.2f}, engagement "
            f"{row['engagement']:.2f}, reputation {row['reputation']:.2f}; hired at step "
            f"{int(row['hired'])}.")


def trajectory(model, person: int) -> pd.DataFrame:
    """The person's standing at the end of every recorded step (one row per step)."""
    day = model.day_in_the_life(person)
    return day.drop_duplicates("step", keep="last")[["step", *(c for c, _ in TRAJECTORY)]]


def trajectory_figure(model, person: int) -> Figure:
    """Fit, engagement and commitment of the person by step."""
    fig = reused_figure(model, "person", new_trajectory_figure)
    ax = fig.axes[0]
    path = trajectory(model, person)
    for line, (column, _) in zip(ax.get_lines(), TRAJECTORY, strict=True):
        line.set_data(path["step"], path[column])
    ax.relim()
    ax.autoscale_view()
    ax.set_title(f"person {person}", fontsize=FONT)
    return fig


def new_trajectory_figure() -> Figure:
    fig = Figure(figsize=(6.4, 2.6))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.2, top=0.86)
    ax = fig.subplots()
    for _, label in TRAJECTORY:
        ax.plot([], [], lw=1.3, label=label)
    ax.set_xlabel("step", fontsize=FONT)
    ax.set_ylabel("share (0-1)", fontsize=FONT)
    ax.tick_params(labelsize=FONT - 1)
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.legend(fontsize=FONT - 1, frameon=False, loc="lower right", ncol=3)
    return fig


def path_events(model, person: int) -> pd.DataFrame:
    """The person's tribes and roles over time: their events of the kinds in PATH_EVENTS."""
    log = model.event_log()
    mine = log[(log["person"] == person) & log["event"].astype(str).isin(PATH_EVENTS)]
    return mine[["step", "event", "tribe", "detail"]].reset_index(drop=True)


def ties_table(model, person: int) -> pd.DataFrame:
    """The person's ties, strongest first: colleague (id), weight and the colleague's tribe."""
    row = person_row(model, person)
    if row < 0:
        return pd.DataFrame(columns=["colleague", "tie (0-1)", "colleague's tribe"])
    p = model.people
    slots = np.flatnonzero(p.tie_to[row] >= 0)
    others = p.tie_to[row, slots]
    order = np.argsort(-p.tie_w[row, slots], kind="stable")
    return pd.DataFrame({
        "colleague": p.id[others[order]],
        "tie (0-1)": np.round(p.tie_w[row, slots[order]].astype(float), 2),
        "colleague's tribe": p.tribe[others[order]],
    })


def latest_acts(model, person: int, count: int = LATEST) -> pd.DataFrame:
    """The person's latest acts (what they worked on, with whom, reviews, meetings)."""
    day = model.day_in_the_life(person)
    acts = day[day["activity"] != "-"]
    return acts[["step", "activity", "item", "other", "other_tribe", "detail"]].tail(count)


@solara.component
def PersonInspector(model):
    """Pick a person by id; see their trajectory, tribes, ties and latest activity."""
    update_counter.get()
    chosen, set_chosen = solara.use_state(default_person(model))
    with solara.Column():
        solara.InputInt("Person (id)", value=chosen, on_value=set_chosen)
        solara.Text(person_summary(model, chosen))
        if model.people_frame()["person"].eq(chosen).any():
            solara.FigureMatplotlib(trajectory_figure(model, chosen), format="png", dpi=DPI)
            with solara.Columns([1, 1, 1]):
                with solara.Column():
                    solara.Text("Tribes and roles", style={"font-weight": "bold"})
                    solara.DataFrame(path_events(model, chosen), items_per_page=6)
                with solara.Column():
                    solara.Text("Ties", style={"font-weight": "bold"})
                    solara.DataFrame(ties_table(model, chosen), items_per_page=6)
                with solara.Column():
                    solara.Text("Latest acts", style={"font-weight": "bold"})
                    solara.DataFrame(latest_acts(model, chosen), items_per_page=6)
