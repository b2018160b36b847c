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


def footer(fig: Figure, ds: xr.Dataset, note: str = "lines: medians; bands: 90 % of members") -> None:
    """Name the scenario, members, seed and casim version at the bottom of a figure (wrapped to fit)."""
    import textwrap

    a = ds.attrs
    text = (
        f"casim {a.get('casim_version', '')} · scenario: {a.get('scenario', '')} · "
        f"{a.get('members', ds.sizes.get('member', ''))} members · seed {a.get('seed', '')} · {note}"
    )
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


def _case_legend(fig: Figure, handles: list, labels: list, ncol: int) -> None:
    handles = [*handles, Line2D([], [], color="black", linestyle="-"), Line2D([], [], color="black", linestyle="--")]
    labels = [*labels, "scenario (median, 90 % band)", "baseline (median)"]
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.03))


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
    handles, labels = axes[0].get_legend_handles_labels()
    _case_legend(fig, handles, labels, ncol=8)
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
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.03))
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
    handles, labels = axes[0].get_legend_handles_labels()
    _case_legend(fig, handles, labels, ncol=7)
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
    handles = [Line2D([], [], color=STATE_COLOURS[s]) for s in STATES]
    _case_legend(fig, handles, list(STATES), ncol=4)
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
