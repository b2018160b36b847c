"""The classroom app (Solara): pick a scenario, move its levers, run, watch it against the baseline.

Started by ``casim app [SCENARIO] [--port P]``, which runs ``solara run casim.app`` on
localhost. The levers act on the scenario's events:

* **size** scales every event's strength: how far a factor is from 1, or an amount or
  level from 0 (1 = as written, 0 = no event, 2 = twice as strong); for a weaponised
  channel, the share of the flow it cuts;
* **delay** moves every timed event later by a number of quarters;
* **members** sets the ensemble size (more members: smoother bands, slower runs).

Each run simulates the modified scenario and its baseline on the same members and seed,
and draws the chosen state's alignment (scenario against baseline) beside its change
versus the baseline, with the quarters in which the events act shaded, and the key
numbers. The state shown first is the one the scenario's events target. A second scenario
("compare with", run as written on the same members) puts the two changes side by side on
one scale. Changing the scenario clears the result; "Download report" writes the printable
report (:mod:`casim.report`) of the current run.
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
from casim.plots import EVENT_KEY, event_spans, footer, plot_alignment, plot_difference
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


NO_COMPARISON = "(none)"


@dataclass
class Result:
    """A finished run: the paired ensembles (the levered scenario first, then any comparison),
    the scenario they belong to, and the levers used."""

    scenario: str
    runs: dict[str, xr.Dataset]
    label: str
    levers: Levers | None = None

    @property
    def paired(self) -> xr.Dataset:
        return next(iter(self.runs.values()))


def alignment_figure(paired: xr.Dataset, state: str, title: str):
    """One state's alignment toward each pole (scenario solid with its 90 % band, baseline dashed)
    beside its change versus the baseline, member by member; the events' quarters are shaded."""
    fig, (levels, change) = plt.subplots(1, 2, figsize=(13, 5))
    plot_alignment(paired, state, levels)
    levels.set_title(f"{state}: {title}", fontsize=10)
    plot_difference(paired, state, change)
    change.set_title(f"{state}: change versus the baseline (median, 50 % and 90 % of members)", fontsize=10)
    for ax in (levels, change):
        ax.set_xlabel("year")
    handles, labels = levels.get_legend_handles_labels()
    if event_spans(paired):
        handles, labels = [*handles, EVENT_KEY[0]], [*labels, EVENT_KEY[1]]
    fig.legend(handles, labels, loc="lower center", ncol=7, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.05))
    footer(fig, paired, "left: solid scenario (median, 90 % band), dashed baseline; right: scenario minus baseline")
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def comparison_figure(runs: dict[str, xr.Dataset], state: str):
    """The change versus the baseline in ``state``'s alignment under each scenario, side by side on
    one scale (same members, same random numbers, same baseline)."""
    fig, axes = plt.subplots(1, len(runs), figsize=(6.5 * len(runs), 5), sharey=True, squeeze=False)
    for ax, (name, paired) in zip(axes[0], runs.items(), strict=True):
        plot_difference(paired, state, ax)
        ax.set_title(f"{state}: {name}", fontsize=10)
        ax.set_xlabel("year")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        [*handles, EVENT_KEY[0]],
        [*labels, EVENT_KEY[1]],
        loc="lower center",
        ncol=7,
        fontsize=9,
        frameon=False,
        bbox_to_anchor=(0.5, 0.05),
    )
    first = next(iter(runs.values()))
    footer(
        fig,
        first,
        "change versus the baseline: median, 50 % and 90 % of members; one scale for both",
        scenario=" vs ".join(runs),
    )
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def report_html(result: Result) -> bytes:
    """The printable report of a run, as ``casim run --report`` writes it (re-run with the same
    levers, members and seed, so its numbers are the ones on screen)."""
    import tempfile
    from pathlib import Path

    from casim.report import REPORT_FILE, write_report_into
    from casim.results_folder import execute

    levers = result.levers
    if levers is None:
        raise ValueError("no run to report")
    scenario = with_levers(scenarios[levers.scenario], levers.size, levers.delay, levers.members)
    with tempfile.TemporaryDirectory(prefix="casim-app-report-") as tmp:
        folder = execute(
            scenario,
            out=Path(tmp) / "run",
            extra=write_report_into,
            executor="serial",
            command=f"casim app: {result.label}",
        )
        return (folder.folder / REPORT_FILE).read_bytes()


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
    at_end = peak != len(labels) - 1  # a separate column only if the peak is before the end
    head = (
        f"<tr><th>toward</th><th>change at {labels[peak]}</th>"
        + (f"<th>change at {labels[-1]}</th>" if at_end else "")
        + "<th>members where it falls</th></tr>"
    )
    rows = []
    for pole in POLES:
        at_peak = float(median.sel(pole=pole).isel(quarter=peak))
        last = float(median.sel(pole=pole).isel(quarter=-1))
        falls = float((diff.sel(pole=pole).isel(quarter=peak) < -NEGLIGIBLE).mean())
        end_cell = f"<td>{last:+.3f}</td>" if at_end else ""
        rows.append(f"<tr><td>{html.escape(pole)}</td><td>{at_peak:+.3f}</td>{end_cell}<td>{falls:.0%}</td></tr>")
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
state = solara.reactive(scenarios[chosen.value].main_state() or "Tajikistan")
compare_with = solara.reactive(NO_COMPARISON)
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
    """Simulate the scenario with the current levers (bounded on the server), and the scenario to
    compare with as written, on the same members and seed; store the result."""
    levers = Levers.checked(chosen.value, size.value, delay.value, members.value)
    scenario = with_levers(scenarios[levers.scenario], levers.size, levers.delay, levers.members)
    other = compare_with.value
    cases = [scenario]
    if isinstance(other, str) and other in scenarios and other != levers.scenario:
        base = scenarios[other]
        cases.append(
            base.model_copy(update={"members": levers.members, "horizon": scenario.horizon, "start": scenario.start})
        )
    experiment = run_experiment(cases, executor="serial", seed=scenario.seed)
    label = f"{levers.scenario}, size {levers.size:.1f}, delay {levers.delay} quarters, {levers.members} members"
    done = Result(levers.scenario, {name: experiment.pair(name).load() for name in experiment.names}, label, levers)
    if chosen.value == levers.scenario:  # the class may have switched scenarios meanwhile: drop a stale run
        result.set(done)
        runs.set(runs.value + 1)


def choose(name: str) -> None:
    """Switch scenario: clear the result and show the state its events target."""
    chosen.set(name)
    result.set(None)
    if name in scenarios:
        state.set(scenarios[name].main_state() or state.value)


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
        solara.Select("Scenario", values=list(scenarios), value=chosen.value, on_value=choose)
        solara.SliderFloat(
            f"Size of the intervention: {size.value:.1f}×", value=size, min=SIZE[0], max=SIZE[1], step=0.1
        )
        solara.SliderInt(f"Delay: {delay.value} quarters", value=delay, min=DELAY[0], max=DELAY[1])
        solara.SliderInt(f"Members: {members.value}", value=members, min=MEMBERS[0], max=MEMBERS[1], step=10)
        solara.Select("State to show", values=list(STATES), value=state)
        solara.Select("Compare with", values=[NO_COMPARISON, *scenarios], value=compare_with)
        solara.Button("Run", on_click=run_in_background, color="primary", disabled=run_in_background.pending)
        solara.ProgressLinear(run_in_background.pending)
        current = result.value
        if current is not None and current.scenario == scenario.name and current.levers is not None:
            solara.FileDownload(
                lambda: report_html(current),
                filename=f"{current.scenario}-report.html",
                label="Download report",
                mime_type="text/html",
            )
    with solara.Column():
        _html(f"<h3>{html.escape(scenario.name)}</h3><p>{html.escape(first_sentence(scenario.description, 400))}</p>")
        if run_in_background.error:
            solara.Error(f"The run failed: {run_in_background.exception}")
        current = result.value
        if current is None or current.scenario != scenario.name:  # never a result under another title
            solara.Info("Move the levers on the left, then press Run.")
        else:
            _html(f"<p><b>Run {runs.value}:</b> {html.escape(current.label)}</p>")
            fig = alignment_figure(current.paired, shown, current.label)
            solara.FigureMatplotlib(fig, format="png")
            plt.close(fig)
            _html(key_numbers(current.paired, shown))
            if len(current.runs) > 1:
                _html(f"<h4>Side by side: {' and '.join(html.escape(n) for n in current.runs)}</h4>")
                fig = comparison_figure(current.runs, shown)
                solara.FigureMatplotlib(fig, format="png")
                plt.close(fig)
                other = list(current.runs)[1]
                _html(f"<p><b>{html.escape(other)}</b> (as written):</p>" + key_numbers(current.runs[other], shown))
