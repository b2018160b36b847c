"""The classroom app (Solara): pick a scenario, move its levers, run, watch it against the baseline.

Started by ``casim app [SCENARIO] [--port P]``, which runs ``solara run casim.app`` on
localhost. The levers act on the scenario's events:

* **size** scales every event's strength: how far a factor is from 1, or an amount or
  level from 0 (1 = as written, 0 = no event, 2 = twice as strong); for a weaponised
  channel, the share of the flow it cuts;
* **delay** moves every timed event later by a number of quarters;
* **members** sets the ensemble size (more members: smoother bands, slower runs).

Each run simulates the modified scenario and its baseline on the same members and seed,
and redraws each state's alignment (scenario against baseline) and the key numbers.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import matplotlib.pyplot as plt
import solara
import xarray as xr

from casim.appserver import ENV_SCENARIO
from casim.errors import CasimError
from casim.experiment import run_experiment
from casim.library import first_sentence, scenario_dir
from casim.names import POLES, STATES
from casim.plots import footer, plot_alignment
from casim.results import NEGLIGIBLE, peak_quarter
from casim.scenario import Scenario, load_scenario

DEFAULT = "remittance_shock"
SEVERITY = "weaponisation.severity"
#: Range of each lever. The sliders show them, and the server enforces them whatever a
#: client sends: a browser can rewrite its websocket messages.
SIZE = (0.0, 2.0)
DELAY = (0, 12)
MEMBERS = (10, 200)
CSS = """
.casim-numbers { border-collapse: collapse; margin: 8px 0; }
.casim-numbers th, .casim-numbers td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }
.casim-numbers th:first-child, .casim-numbers td:first-child { text-align: left; }
.casim-numbers th { background: #f0f0f0; }
"""


def library() -> dict[str, Scenario]:
    """The scenarios of the library (and the one given on the command line), by name."""
    found = {}
    for path in sorted(scenario_dir().glob("*.yaml")):
        try:
            found[path.stem] = load_scenario(path)
        except CasimError:  # a broken file in the library must not break the class
            continue
    extra = os.environ.get(ENV_SCENARIO)
    if extra and os.path.isfile(extra):
        scenario = load_scenario(extra)
        found[scenario.name] = scenario
    return found


def with_levers(scenario: Scenario, size: float, delay: int, members: int) -> Scenario:
    """The scenario with every event scaled by ``size`` and delayed by ``delay`` quarters.

    ``size`` measures an event's strength from "no change": a factor's distance from 1, an
    amount or level's distance from 0 (1 = as written, 0 = no event, 2 = twice as strong).
    A weaponisation cuts a channel by its severity, so there ``size`` scales the share of the
    flow it cuts: up to 1 by weaponising partly, beyond 1 by raising the channel's
    ``weaponisation.severity`` in the scenario case (at most all of the flow). The engine clips
    every changed value to its bounds. At size 1 the scenario is exactly the one written.
    """
    from casim.names import CHANNELS
    from casim.paramfile import load_parameters

    def scale(change) -> float:
        if change.op == "multiply":
            return max(0.0, 1.0 + size * (change.value - 1.0))
        if change.weaponises:
            return change.value * min(size, 1.0)
        return size * change.value

    overrides = dict(scenario.parameters)
    if size > 1.0:
        severity = load_parameters().with_overrides(scenario.parameters).params[SEVERITY].value
        cut = {
            channel
            for ev in [*scenario.events, *scenario.random_events]
            if ev.weaponises
            for channel in (ev.channels or CHANNELS)
        }
        for channel in sorted(cut):
            overrides[f"{SEVERITY}.{channel}"] = float(min(1.0, severity[CHANNELS.index(channel)] * size))
    events = []
    for ev in scenario.events:
        at = scenario.quarter_index(ev.at) + delay
        events.append(ev.model_copy(update={"value": scale(ev), "at": min(max(at, 1), scenario.horizon)}))
    random_events = [ev.model_copy(update={"value": scale(ev)}) for ev in scenario.random_events]
    return scenario.model_copy(
        update={"events": events, "random_events": random_events, "members": members, "parameters": overrides}
    )


@dataclass
class Result:
    """A finished run: the paired ensemble and the levers it used."""

    paired: xr.Dataset
    label: str


def alignment_figure(paired: xr.Dataset, state: str, title: str):
    """One state's alignment toward each pole, scenario (solid, 90 % band) against baseline (dashed)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    plot_alignment(paired, state, ax)
    ax.set_title(f"{state}: {title}")
    ax.set_xlabel("year")
    ax.legend(ncol=3, fontsize=8, loc="upper right")
    footer(fig, paired, "solid: scenario (median, 90 % band); dashed: baseline")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def key_numbers(paired: xr.Dataset, state: str) -> str:
    """HTML table: change at the peak and at the horizon toward each pole for ``state``.

    The peak is the quarter of the largest median change toward any pole
    (:func:`casim.results.peak_quarter`); the last column is the share of members in which
    alignment toward that pole falls there by more than the display precision.
    """
    diff = (paired.alignment.sel(case="scenario") - paired.alignment.sel(case="baseline")).sel(state=state)
    median = diff.median("member")
    peak = int(peak_quarter(diff, over=("pole",)))
    labels = [str(v) for v in paired["label"].values]
    head = (
        f"<tr><th>toward</th><th>change at {labels[peak]}</th><th>change at {labels[-1]}</th>"
        "<th>members where it falls</th></tr>"
    )
    rows = []
    for pole in POLES:
        at_peak = float(median.sel(pole=pole).isel(quarter=peak))
        at_end = float(median.sel(pole=pole).isel(quarter=-1))
        falls = float((diff.sel(pole=pole).isel(quarter=peak) < -NEGLIGIBLE).mean())
        rows.append(
            f"<tr><td>{html.escape(pole)}</td><td>{at_peak:+.3f}</td><td>{at_end:+.3f}</td><td>{falls:.0%}</td></tr>"
        )
    gdp = paired.gdp_index.sel(state=state).isel(quarter=peak)
    change = float(((gdp.sel(case="scenario") - gdp.sel(case="baseline")) * 100).median("member"))
    return (
        f'<table class="casim-numbers">{head}{"".join(rows)}</table>'
        f"<p>GDP at {labels[peak]}: {change:+.1f} % against the baseline (median over members).</p>"
    )


def _html(text: str, tag: str = "div") -> None:
    # plain HTML rather than solara.Markdown: Markdown loads KaTeX from a CDN, which a
    # classroom without internet access cannot reach
    solara.HTML(tag=tag, unsafe_innerHTML=text)


def chosen_default() -> str:
    """The scenario shown first (and in place of a name the library does not hold)."""
    return DEFAULT if DEFAULT in scenarios else next(iter(scenarios))


scenarios = library()
initial = os.path.splitext(os.path.basename(os.environ.get(ENV_SCENARIO, "")))[0]
chosen = solara.reactive(initial if initial in scenarios else chosen_default())
size = solara.reactive(1.0)
delay = solara.reactive(0)
members = solara.reactive(40)
state = solara.reactive("Tajikistan")
result: solara.Reactive[Result | None] = solara.reactive(None)
runs = solara.reactive(0)


def _bounded(value: object, bounds: tuple[float, float], default: float) -> float:
    """``value`` as a number clipped to ``bounds`` (``default`` if it is not a finite number)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    if number != number or number in (float("inf"), float("-inf")):
        return default
    return min(max(number, bounds[0]), bounds[1])


@dataclass(frozen=True)
class Levers:
    """The levers of one run, checked on the server."""

    scenario: str
    size: float
    delay: int
    members: int

    @classmethod
    def checked(cls, scenario: object, size_: object, delay_: object, members_: object) -> Levers:
        """Levers from what a client sent: unknown scenarios fall back to the default, numbers are clipped."""
        name = scenario if isinstance(scenario, str) and scenario in scenarios else chosen_default()
        return cls(
            name,
            _bounded(size_, SIZE, 1.0),
            int(_bounded(delay_, DELAY, 0)),
            int(_bounded(members_, MEMBERS, 40)),
        )


def run() -> None:
    """Simulate the scenario with the current levers (bounded on the server) and store the result."""
    levers = Levers.checked(chosen.value, size.value, delay.value, members.value)
    scenario = with_levers(scenarios[levers.scenario], levers.size, levers.delay, levers.members)
    paired = run_experiment(scenario, executor="serial").paired
    label = f"{levers.scenario}, size {levers.size:.1f}, delay {levers.delay} quarters, {levers.members} members"
    result.set(Result(paired.load(), label))
    runs.set(runs.value + 1)


@solara.lab.task
def run_in_background() -> None:
    """:func:`run` in a worker thread, so the page shows progress instead of freezing."""
    run()


@solara.component
def Page():
    solara.Title("casim classroom")
    solara.Style(CSS)
    scenario = scenarios[chosen.value if chosen.value in scenarios else chosen_default()]
    shown = state.value if state.value in STATES else STATES[0]  # a client may send anything
    with solara.Sidebar():
        _html("<h2>casim</h2><p>Scenario engine for Central Asia's geopolitics</p>")
        solara.Select("Scenario", values=list(scenarios), value=chosen)
        solara.SliderFloat(
            f"Size of the intervention: {size.value:.1f}×", value=size, min=SIZE[0], max=SIZE[1], step=0.1
        )
        solara.SliderInt(f"Delay: {delay.value} quarters", value=delay, min=DELAY[0], max=DELAY[1])
        solara.SliderInt(f"Members: {members.value}", value=members, min=MEMBERS[0], max=MEMBERS[1], step=10)
        solara.Select("State to show", values=list(STATES), value=state)
        solara.Button("Run", on_click=run_in_background, color="primary", disabled=run_in_background.pending)
        solara.ProgressLinear(run_in_background.pending)
    with solara.Column():
        _html(f"<h3>{html.escape(scenario.name)}</h3><p>{html.escape(first_sentence(scenario.description, 400))}</p>")
        if run_in_background.error:
            solara.Error(f"The run failed: {run_in_background.exception}")
        current = result.value
        if current is None:
            solara.Info("Move the levers on the left, then press Run.")
        else:
            _html(f"<p><b>Run {runs.value}:</b> {html.escape(current.label)}</p>")
            fig = alignment_figure(current.paired, shown, current.label)
            solara.FigureMatplotlib(fig, format="png")
            plt.close(fig)
            _html(key_numbers(current.paired, shown))
