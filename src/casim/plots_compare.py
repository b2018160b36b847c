"""Figures of comparisons (``casim compare``) and explanations (``casim explain``).

Axes-level functions take ``ax=None`` and return the axes; figure-level functions compose
them, with a title, a legend and a footer (see :mod:`casim.plots`). The quarters in which
each scenario's events act are shaded in its colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from casim.names import POLES, STATES
from casim.plots import _ax, _legend_below, band, event_spans, footer, shade_events, year_ticks

SCENARIO_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _colour(k: int) -> str:
    return SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)]


def plot_compare(comp, state: str, pole: str, ax: Axes | None = None) -> Axes:
    """Alignment of ``state`` toward ``pole``: each scenario (median, 90 % band) and the baseline."""
    ax = _ax(ax)
    x = comp.baseline["year"].values
    _shade_scenarios(ax, comp)
    ax.plot(
        x,
        comp.baseline.alignment.sel(state=state, pole=pole).median("member"),
        "--",
        color="black",
        linewidth=1.4,
        label="baseline",
    )
    for k, (name, paired) in enumerate(comp.runs.items()):
        band(ax, x, paired.alignment.sel(case="scenario", state=state, pole=pole), _colour(k), "-", name, alpha=0.12)
    ax.set_title(f"toward {pole}")
    ax.set_ylabel("alignment (share)")
    ax.grid(alpha=0.3)
    year_ticks(ax, x)
    return ax


def _shade_scenarios(ax: Axes, comp) -> None:
    """Each scenario's event windows, lightly in its colour."""
    for k, paired in enumerate(comp.runs.values()):
        shade_events(ax, event_spans(paired), colour=_colour(k), alpha=0.07)


def _event_keys(comp) -> tuple:
    return tuple(
        (Patch(color=_colour(k), alpha=0.15), f"{name}: events act")
        for k, (name, paired) in enumerate(comp.runs.items())
        if event_spans(paired)
    )


def compare_state_figure(comp, state: str) -> Figure:
    """One state's alignment toward each pole under every scenario, against the baseline."""
    fig, axes = plt.subplots(2, 3, figsize=(14, 8), sharex=True)
    fig.suptitle(
        f"{state}: alignment under {len(comp.names)} scenario(s) and the baseline", fontsize=14, fontweight="bold"
    )
    for ax, pole in zip(axes.ravel(), POLES, strict=True):
        plot_compare(comp, state, pole, ax)
    _legend_below(fig, axes[0, 0], extra=_event_keys(comp))
    _compare_footer(fig, comp, "lines: medians; bands: 90 % of members; baseline dashed")
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return fig


def _compare_footer(fig: Figure, comp, note: str) -> None:
    members = comp.runs[comp.names[0]].sizes["member"]
    footer(fig, note=note, scenario=", ".join(comp.names), members=members, seed=comp.seed)


def compare_difference_figure(comp) -> Figure:
    """Change versus the baseline (member by member) for every state, pole and scenario."""
    fig, axes = plt.subplots(len(STATES), len(POLES), figsize=(20, 16), sharex=True, sharey="row")
    fig.suptitle("Change in alignment versus the baseline", fontsize=15, fontweight="bold")
    x = comp.baseline["year"].values
    for r, state in enumerate(STATES):
        for c, pole in enumerate(POLES):
            ax = axes[r, c]
            _shade_scenarios(ax, comp)
            for k, (name, paired) in enumerate(comp.runs.items()):
                diff = paired.alignment.sel(state=state, pole=pole)
                band(
                    ax,
                    x,
                    diff.sel(case="scenario") - diff.sel(case="baseline"),
                    _colour(k),
                    "-",
                    name,
                    inner=True,
                    alpha=0.1,
                )
            ax.axhline(0, color="black", linewidth=0.7)
            ax.grid(alpha=0.3)
            year_ticks(ax, x, most=4)
            ax.tick_params(axis="x", labelsize=9)
            if r == 0:
                ax.set_title(f"toward {pole}")
            if c == 0:
                ax.set_ylabel(f"{state}\nchange (share)")
    _legend_below(fig, axes[0, 0], fontsize=10, y=0.02, extra=_event_keys(comp))
    _compare_footer(fig, comp, "lines: median difference; bands: 50 % and 90 % of members")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


def save_comparison_figures(comp, folder, dpi: int = 100) -> list[str]:
    """Write one figure per state and the grid of differences; returns the file names."""
    from pathlib import Path

    written = []
    figures = [(f"compare_{state.lower()}.png", lambda s=state: compare_state_figure(comp, s)) for state in STATES]
    figures.append(("compare_difference.png", lambda: compare_difference_figure(comp)))
    for name, make in figures:
        fig = make()
        fig.savefig(Path(folder) / name, dpi=dpi)
        plt.close(fig)
        written.append(name)
    return written


# --------------------------------------------------------------------------- explanations


def _player_colours(players: Sequence[str]) -> dict[str, str]:
    cmap = plt.get_cmap("tab20")
    return {p: cmap(k % 20) for k, p in enumerate(players)}


def plot_contributions(expl, state: str, quarter: int, ax: Axes | None = None) -> Axes:
    """Stacked contributions (means over members) to the change toward each pole; dots mark the total."""
    ax = _ax(ax)
    i = STATES.index(state)
    means = expl.contributions[:, :, quarter, i, :].mean(axis=1)  # (player, pole)
    total = expl.total[:, quarter, i, :].mean(axis=0)
    colours = _player_colours(expl.players)
    x = np.arange(len(POLES))
    up, down = np.zeros(len(POLES)), np.zeros(len(POLES))
    for k, player in enumerate(expl.players):
        part = means[k]
        base = np.where(part >= 0, up, down)
        ax.bar(x, part, bottom=base, color=colours[player], label=player, width=0.7)
        up, down = up + np.maximum(part, 0), down + np.minimum(part, 0)
    ax.plot(x, total, "o", color="black", label="total change", zorder=5)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, POLES)
    ax.set_ylabel("change in alignment (share)")
    ax.set_title(f"{state}: contributions at {expl.labels[quarter]}")
    ax.grid(alpha=0.3, axis="y")
    return ax


def plot_contributions_over_time(expl, state: str, pole: str, ax: Axes | None = None) -> Axes:
    """Each player's mean contribution to the change toward ``pole`` over time, and the total."""
    ax = _ax(ax)
    i, k = STATES.index(state), POLES.index(pole)
    colours = _player_colours(expl.players)
    x = np.arange(expl.total.shape[1])
    shade_events(ax, [(first - 1, last) for first, last in expl.scenario.event_windows()])
    for j, player in enumerate(expl.players):
        ax.plot(x, expl.contributions[j, :, :, i, k].mean(axis=0), color=colours[player], label=player)
    ax.plot(x, expl.total[:, :, i, k].mean(axis=0), color="black", linewidth=2.2, label="total change")
    ax.axhline(0, color="black", linewidth=0.8)
    ticks = x[::8]
    ax.set_xticks(ticks, [expl.labels[t] for t in ticks])
    ax.set_ylabel("change in alignment (share)")
    ax.set_title(f"{state}: toward {pole}, over time")
    ax.grid(alpha=0.3)
    return ax


def explain_figure(expl, state: str, quarter: int | None = None) -> Figure:
    """Why ``state`` moved: contributions per pole at a quarter, and over time for the pole that moved most."""
    quarter = expl.peak_quarter(state) if quarter is None else quarter
    i = STATES.index(state)
    pole = POLES[int(np.abs(expl.total[:, quarter, i, :].mean(axis=0)).argmax())]
    fig, axes = plt.subplots(1, 2, figsize=(15, 6))
    fig.suptitle(f"Why {state}'s alignment moved: {expl.scenario.name}", fontsize=14, fontweight="bold")
    plot_contributions(expl, state, quarter, axes[0])
    plot_contributions_over_time(expl, state, pole, axes[1])
    _legend_below(fig, axes[0], ncol=4)
    article = "an" if expl.method[0] in "aeiou" else "a"
    footer(
        fig,
        note=f"means over members of {article} {expl.method} Shapley split; the parts add up to the total",
        scenario=expl.scenario.name,
        members=expl.total.shape[0],
        seed=expl.scenario.seed,
    )
    fig.tight_layout(rect=(0, 0.12, 1, 0.94))
    return fig


def save_explanation_figures(
    expl, folder, states: Sequence[str] = STATES, quarter: int | None = None, dpi: int = 100
) -> list[str]:
    from pathlib import Path

    written = []
    for state in states:
        fig = explain_figure(expl, state, quarter)
        name = f"explain_{state.lower()}.png"
        fig.savefig(Path(folder) / name, dpi=dpi)
        plt.close(fig)
        written.append(name)
    return written
