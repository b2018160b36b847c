"""Plots for classrooms and reports.

Axes-level functions take ``ax=None`` and return the axes (as in SALib); figure-level
functions compose them into the standard figures of a run, each with a title, units, a
legend and a footer naming the scenario, the members and the seed. Medians are lines;
bands are the 5-95 % (and 25-75 %) spread across members.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from casim.names import POLES, STATES
from casim.results import difference

POLE_COLOURS = {
    "Russia": "#c0392b",
    "China": "#d4a017",
    "EU": "#1f4e9c",
    "US": "#7d3c98",
    "Turkey": "#148f77",
    "autonomy": "#7f8c8d",
}
STATE_COLOURS = dict(zip(STATES, ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"], strict=True))
CASE_STYLES = {"baseline": "--", "scenario": "-"}


def _ax(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=(6, 4))[1]


def footer(
    fig: Figure,
    ds: xr.Dataset | None = None,
    note: str = "lines: medians; bands: 90 % of members",
    *,
    scenario: str | None = None,
    members: int | None = None,
    seed: int | None = None,
) -> None:
    """Name the scenario, members, seed and casim version at the bottom of a figure (wrapped to fit)."""
    import textwrap

    from casim import __version__

    a = ds.attrs if ds is not None else {}
    scenario = scenario if scenario is not None else a.get("scenario", "")
    members = members if members is not None else a.get("members", ds.sizes.get("member", "") if ds else "")
    seed = seed if seed is not None else a.get("seed", "")
    text = f"casim {__version__} · scenario: {scenario} · {members} members · seed {seed} · {note}"
    width = max(60, int(fig.get_figwidth() * 15))
    fig.text(0.5, 0.005, "\n".join(textwrap.wrap(text, width)), ha="center", va="bottom", fontsize=8, color="#444444")


def band(
    ax: Axes,
    x: np.ndarray,
    da: xr.DataArray,
    colour: str,
    style: str = "-",
    label: str | None = None,
    inner: bool = False,
    alpha: float = 0.15,
) -> Axes:
    """Median line and 5-95 % band (and 25-75 % if ``inner``) of ``da`` over members."""
    q = da.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="member").values
    ax.fill_between(x, q[0], q[4], color=colour, alpha=alpha, linewidth=0)
    if inner:
        ax.fill_between(x, q[1], q[3], color=colour, alpha=alpha * 2, linewidth=0)
    ax.plot(x, q[2], style, color=colour, label=label, linewidth=1.8)
    return ax


def plot_alignment(paired: xr.Dataset, state: str, ax: Axes | None = None, poles: Sequence[str] = POLES) -> Axes:
    """Alignment of ``state`` toward each pole: scenario (solid, with band) and baseline (dashed)."""
    ax = _ax(ax)
    x = paired["year"].values
    for pole in poles:
        colour = POLE_COLOURS[pole]
        band(ax, x, paired.alignment.sel(case="scenario", state=state, pole=pole), colour, "-", pole)
        median = paired.alignment.sel(case="baseline", state=state, pole=pole).median("member")
        ax.plot(x, median, "--", color=colour, linewidth=1.2, alpha=0.9)
    ax.set_title(state)
    ax.set_ylabel("alignment (share)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return ax


def plot_difference(paired: xr.Dataset, state: str, ax: Axes | None = None, poles: Sequence[str] = POLES) -> Axes:
    """Scenario minus baseline in ``state``'s alignment, member by member: median, 50 % and 90 % bands."""
    ax = _ax(ax)
    x = paired["year"].values
    diff = difference(paired[["alignment"]]).alignment
    for pole in poles:
        band(ax, x, diff.sel(state=state, pole=pole), POLE_COLOURS[pole], "-", pole, inner=True, alpha=0.12)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(state)
    ax.set_ylabel("change in alignment (share)")
    ax.grid(alpha=0.3)
    return ax


def plot_state_variable(
    paired: xr.Dataset,
    variable: str,
    ax: Axes | None = None,
    scale: float = 1.0,
    ylabel: str | None = None,
    states: Sequence[str] = STATES,
) -> Axes:
    """A per-state variable for every state: scenario solid with band, baseline dashed."""
    ax = _ax(ax)
    x = paired["year"].values
    for state in states:
        colour = STATE_COLOURS[state]
        band(ax, x, paired[variable].sel(case="scenario", state=state) * scale, colour, "-", state, alpha=0.12)
        median = paired[variable].sel(case="baseline", state=state).median("member") * scale
        ax.plot(x, median, "--", color=colour, linewidth=1.1)
    ax.set_ylabel(ylabel or f"{variable} ({paired[variable].attrs.get('units', '')})")
    ax.grid(alpha=0.3)
    return ax


def _corner(rcn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Barycentric (Russia, China, EU) to x, y in an equilateral triangle."""
    total = rcn.sum(axis=-1, keepdims=True)
    _, c, e = np.moveaxis(rcn / np.where(total > 0, total, 1), -1, 0)
    return c + 0.5 * e, e * np.sqrt(3) / 2


def plot_ternary(paired: xr.Dataset, ax: Axes | None = None, states: Sequence[str] = STATES) -> Axes:
    """Each state's path between Russia, China and the EU (their shares renormalised to 1)."""
    ax = _ax(ax)
    corners = np.array([[0, 0], [1, 0], [0.5, np.sqrt(3) / 2], [0, 0]])
    ax.plot(corners[:, 0], corners[:, 1], color="black", linewidth=1)
    for fraction in (0.25, 0.5, 0.75):  # light grid
        for k in range(3):
            pts = np.zeros((2, 3))
            pts[:, k] = fraction
            pts[0, (k + 1) % 3] = 1 - fraction
            pts[1, (k + 2) % 3] = 1 - fraction
            gx, gy = _corner(pts)
            ax.plot(gx, gy, color="#dddddd", linewidth=0.6, zorder=0)
    for label, (x, y), align in (
        ("Russia", (0, 0), "right"),
        ("China", (1, 0), "left"),
        ("EU", (0.5, np.sqrt(3) / 2), "center"),
    ):
        ax.text(
            x + (-0.02 if align == "right" else 0.02 if align == "left" else 0),
            y + (0.03 if label == "EU" else -0.04),
            label,
            ha=align,
            fontsize=10,
            color=POLE_COLOURS[label],
            fontweight="bold",
        )
    for state in states:
        colour = STATE_COLOURS[state]
        for case in ("baseline", "scenario"):
            med = paired.alignment.sel(case=case, state=state, pole=["Russia", "China", "EU"]).median("member").values
            x, y = _corner(med)
            ax.plot(x, y, CASE_STYLES[case], color=colour, linewidth=1.6 if case == "scenario" else 1.0)
            if case == "scenario":
                ax.plot(x[0], y[0], "o", color=colour, markersize=4)
                ax.annotate(
                    "",
                    xy=(x[-1], y[-1]),
                    xytext=(x[-2], y[-2]),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.6},
                )
                ax.text(x[0], y[0] + 0.02, state, fontsize=8, color=colour, ha="center")
    ax.set_aspect("equal")
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.1, 0.95)
    ax.axis("off")
    return ax


# --------------------------------------------------------------------------- figures


def _legend_below(
    fig: Figure, ax: Axes | None, ncol: int | None = None, *, extra: tuple = (), fontsize: int = 9, y: float = 0.03
) -> None:
    """One legend for the whole figure, centred below the panels, from ``ax``'s entries plus ``extra``.

    ``ncol`` defaults to one column per entry, at most six.
    """
    handles, labels = ax.get_legend_handles_labels() if ax is not None else ([], [])
    for handle, label in extra:
        handles.append(handle)
        labels.append(label)
    ncol = ncol if ncol is not None else min(len(labels), 6)
    fig.legend(
        handles, labels, loc="lower center", ncol=ncol, fontsize=fontsize, frameon=False, bbox_to_anchor=(0.5, y)
    )


#: Legend entries that say which line style is the scenario and which the baseline.
CASE_KEYS = (
    (Line2D([], [], color="black", linestyle="-"), "scenario (median, 90 % band)"),
    (Line2D([], [], color="black", linestyle="--"), "baseline (median)"),
)


def _grid(title: str) -> tuple[Figure, np.ndarray]:
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.5), sharex=True)
    fig.suptitle(title, fontsize=14, fontweight="bold")
    return fig, axes.ravel()


def alignment_figure(paired: xr.Dataset) -> Figure:
    """Alignment of each state toward each power and autonomy, scenario against baseline."""
    fig, axes = _grid(f"Alignment toward each power: {paired.attrs.get('scenario', '')} vs baseline")
    for ax, state in zip(axes, STATES, strict=False):
        plot_alignment(paired, state, ax)
    _regional_panel(paired, axes[5])
    _legend_below(fig, axes[0], ncol=8, extra=CASE_KEYS)
    footer(fig, paired)
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    return fig


def _regional_panel(paired: xr.Dataset, ax: Axes) -> None:
    """Sixth panel: hedging index per state (1 = even spread over all poles)."""
    plot_state_variable(paired, "hedging", ax, ylabel="hedging index (0-1)")
    ax.set_title("Hedging (normalised entropy of alignment)")
    ax.legend(fontsize=7, loc="lower left")


def difference_figure(paired: xr.Dataset) -> Figure:
    """Change of alignment versus the baseline (member by member) with 50 % and 90 % bands."""
    fig, axes = _grid(f"Change in alignment versus baseline: {paired.attrs.get('scenario', '')}")
    for ax, state in zip(axes, STATES, strict=False):
        plot_difference(paired, state, ax)
    ax = axes[5]
    x = paired["year"].values
    diff = difference(paired[["soft_power"]]).soft_power
    for pole in POLES[:-1]:
        band(ax, x, diff.sel(power=pole), POLE_COLOURS[pole], "-", pole, inner=True, alpha=0.12)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title("Change in soft power (regional favourability)")
    ax.set_ylabel("change in favourability (0-1)")
    ax.grid(alpha=0.3)
    _legend_below(fig, axes[0], ncol=6)
    footer(fig, paired, "lines: median difference; bands: 50 % and 90 % of members")
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    return fig


def economy_figure(paired: xr.Dataset) -> Figure:
    """GDP index, remittances and regime stability per state, scenario against baseline."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 5), sharex=True)
    fig.suptitle(
        f"Economy and stability: {paired.attrs.get('scenario', '')} vs baseline", fontsize=14, fontweight="bold"
    )
    plot_state_variable(paired, "gdp_index", axes[0], ylabel="real GDP index (start = 1)")
    axes[0].set_title("GDP")
    plot_state_variable(paired, "remittances", axes[1], scale=100, ylabel="remittances (% of GDP)")
    axes[1].set_title("Remittances")
    plot_state_variable(paired, "regime_stability", axes[2], ylabel="regime stability (0-1)")
    axes[2].set_title("Regime stability")
    for ax in axes:
        ax.set_xlabel("year")
    _legend_below(fig, axes[0], ncol=7, extra=CASE_KEYS)
    footer(fig, paired)
    fig.tight_layout(rect=(0, 0.1, 1, 0.94))
    return fig


def ternary_figure(paired: xr.Dataset) -> Figure:
    """The path of each state between Russia, China and the EU."""
    fig, ax = plt.subplots(figsize=(8, 7.5))
    fig.suptitle(
        f"Between Russia, China and the EU: {paired.attrs.get('scenario', '')}", fontsize=14, fontweight="bold"
    )
    plot_ternary(paired, ax)
    states = tuple((Line2D([], [], color=STATE_COLOURS[s]), s) for s in STATES)
    _legend_below(fig, None, ncol=4, extra=(*states, *CASE_KEYS))
    footer(fig, paired, "medians; shares of the three powers renormalised to 1; dot = start, arrow = end")
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig


FIGURES = {
    "alignment.png": alignment_figure,
    "difference.png": difference_figure,
    "economy.png": economy_figure,
    "ternary.png": ternary_figure,
}


def save_figures(paired: xr.Dataset, folder, dpi: int = 110) -> list[str]:
    """Write the standard figures of a run into ``folder``; returns the file names."""
    from pathlib import Path

    written = []
    for name, make in FIGURES.items():
        fig = make(paired)
        fig.savefig(Path(folder) / name, dpi=dpi)
        plt.close(fig)
        written.append(name)
    return written


# --------------------------------------------------------------------------- comparisons

SCENARIO_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _colour(k: int) -> str:
    return SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)]


def plot_compare(comp, state: str, pole: str, ax: Axes | None = None) -> Axes:
    """Alignment of ``state`` toward ``pole``: each scenario (median, 90 % band) and the baseline."""
    ax = _ax(ax)
    x = comp.baseline["year"].values
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
    return ax


def compare_state_figure(comp, state: str) -> Figure:
    """One state's alignment toward each pole under every scenario, against the baseline."""
    fig, axes = plt.subplots(2, 3, figsize=(14, 8), sharex=True)
    fig.suptitle(
        f"{state}: alignment under {len(comp.names)} scenario(s) and the baseline", fontsize=14, fontweight="bold"
    )
    for ax, pole in zip(axes.ravel(), POLES, strict=True):
        plot_compare(comp, state, pole, ax)
    _legend_below(fig, axes[0, 0])
    _compare_footer(fig, comp, "lines: medians; bands: 90 % of members; baseline dashed")
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return fig


def _compare_footer(fig: Figure, comp, note: str) -> None:
    members = comp.runs[comp.names[0]].sizes["member"]
    footer(fig, note=note, scenario=", ".join(comp.names), members=members, seed=comp.seed)


def compare_difference_figure(comp) -> Figure:
    """Change versus the baseline (member by member) for every state, pole and scenario."""
    fig, axes = plt.subplots(len(STATES), len(POLES), figsize=(20, 16), sharex=True)
    fig.suptitle("Change in alignment versus the baseline", fontsize=15, fontweight="bold")
    x = comp.baseline["year"].values
    for r, state in enumerate(STATES):
        for c, pole in enumerate(POLES):
            ax = axes[r, c]
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
            if r == 0:
                ax.set_title(f"toward {pole}")
            if c == 0:
                ax.set_ylabel(f"{state}\nchange (share)")
    _legend_below(fig, axes[0, 0], fontsize=10, y=0.02)
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
