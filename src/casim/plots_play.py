"""Figures of a ``casim play`` session: the path so far, and the debrief.

* :func:`session_figure`: each state's alignment toward the steered powers so far, the
  teams' path against the no-intervention band (shown to the teacher, and to each team for
  its own power after every turn);
* :func:`paths_figure`: the debrief's grid, one row per steered power and one column per
  state, with the turns marked;
* :func:`attribution_figure`: which moves mattered, the change at the end split into the
  contributions of the moves by channel, per state and power.

Axes-level functions take ``ax=None`` and return the axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from casim.names import CHANNELS, STATES
from casim.plots import POLE_COLOURS, footer

#: Colours of the groups of moves in the attribution (channels, then conditionality).
GROUP_COLOURS = dict(
    zip(
        [*CHANNELS, "conditionality"],
        ["#e6550d", "#636363", "#31a354", "#3182bd", "#9e9ac8", "#fdae6b", "#de2d26", "#756bb1", "#969696"],
        strict=True,
    )
)


def _ax(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=(5, 3.5))[1]


def plot_session(alignment: xr.DataArray, state: str, power: str, played_quarters: int, ax: Axes | None = None) -> Axes:
    """Alignment of ``state`` toward ``power``: the no-intervention ensemble (grey band and dashed
    median) and the teams' path (coloured band and line) up to the quarters played."""
    ax = _ax(ax)
    x = alignment["year"].values
    colour = POLE_COLOURS[power]
    ref = alignment.sel(case="no_intervention", state=state, pole=power).values
    q = np.quantile(ref, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(x, q[0], q[2], color="#999999", alpha=0.3, linewidth=0)
    ax.plot(x, q[1], "--", color="#555555", linewidth=1.2)
    upto = played_quarters + 1
    if upto > 1:
        mine = alignment.sel(case="played", state=state, pole=power).values[:, :upto]
        p = np.quantile(mine, [0.05, 0.5, 0.95], axis=0)
        ax.fill_between(x[:upto], p[0], p[2], color=colour, alpha=0.2, linewidth=0)
        ax.plot(x[:upto], p[1], "-", color=colour, linewidth=2.2)
    for k in range(4, len(x), 4):  # turn boundaries
        ax.axvline(x[k], color="#cccccc", linewidth=0.6, zorder=0)
    years = x[::4]
    step = max(1, len(years) // 6)
    ax.set_xticks(years[::step], [f"{y:.0f}" for y in years[::step]])
    ax.set_title(state, fontsize=10)
    ax.grid(alpha=0.25, axis="y")
    return ax


def _keys(power: str | None) -> list:
    colour = POLE_COLOURS.get(power or "", "black")
    who = "your moves" if power else "the teams' moves"
    return [
        (Line2D([], [], color=colour, linewidth=2.2), f"{who} (median, 90 % band)"),
        (Line2D([], [], color="#555555", linestyle="--"), "no intervention (median)"),
        (Patch(color="#999999", alpha=0.3), "no intervention, 90 % of members"),
    ]


def session_figure(
    alignment: xr.DataArray,
    powers: Sequence[str],
    played_quarters: int,
    *,
    scenario: str,
    seed: int,
    title: str | None = None,
) -> Figure:
    """One row per power in ``powers``, one column per state: the session's path so far."""
    rows = len(powers)
    fig, axes = plt.subplots(rows, len(STATES), figsize=(15, 2.6 * rows + 1.6), sharex=True, squeeze=False)
    fig.suptitle(title or f"casim play: {scenario}", fontsize=13, fontweight="bold")
    for r, power in enumerate(powers):
        shared = alignment.sel(pole=power).values
        low, high = float(np.nanmin(shared)), float(np.nanmax(shared))
        pad = max(0.01, 0.08 * (high - low))
        for c, state in enumerate(STATES):
            ax = axes[r, c]
            plot_session(alignment, state, power, played_quarters, ax)
            ax.set_ylim(low - pad, high + pad)  # one scale per power: rows compare across states
            if c == 0:
                ax.set_ylabel(f"toward {power}\n(share)", color=POLE_COLOURS[power], fontweight="bold")
            else:
                ax.tick_params(labelleft=False)
    handles, labels = zip(*_keys(powers[0] if len(powers) == 1 else None), strict=True)
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=9, bbox_to_anchor=(0.5, 0.03))
    members = alignment.sizes["member"]
    footer(fig, note="vertical lines: turns (one year each)", scenario=scenario, members=members, seed=seed)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig


def plot_attribution(table: pd.DataFrame, power: str, ax: Axes | None = None) -> Axes:
    """Contributions of each group of moves to every state's change in alignment toward ``power``
    at the end (means over members): stacked bars, positive up and negative down; dots: the total."""
    ax = _ax(ax)
    part = table[table["pole"] == power]
    groups = list(dict.fromkeys(part["group"]))
    x = np.arange(len(STATES))
    up, down = np.zeros(len(STATES)), np.zeros(len(STATES))
    for group in groups:
        values = part[part["group"] == group].set_index("state").reindex(STATES)["contribution"].to_numpy()
        base = np.where(values >= 0, up, down)
        ax.bar(x, values, bottom=base, color=GROUP_COLOURS.get(group, "#bbbbbb"), width=0.65, label=group)
        up, down = up + np.maximum(values, 0), down + np.minimum(values, 0)
    ax.plot(x, up + down, "o", color="black", zorder=5, label="total")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, STATES, rotation=30, ha="right")
    ax.set_title(f"toward {power}", color=POLE_COLOURS[power], fontweight="bold")
    ax.grid(alpha=0.25, axis="y")
    return ax


def attribution_figure(table: pd.DataFrame, powers: Sequence[str], *, scenario: str, members: int, seed: int) -> Figure:
    """The debrief's "which moves mattered": one panel per steered power."""
    fig, axes = plt.subplots(1, len(powers), figsize=(3.6 * len(powers) + 2.5, 5.4), squeeze=False, sharey=True)
    fig.suptitle("Which moves mattered: change in alignment at the end, by channel", fontsize=13, fontweight="bold")
    for ax, power in zip(axes[0], powers, strict=True):
        plot_attribution(table, power, ax)
    axes[0, 0].set_ylabel("change in alignment (share)")
    groups = list(dict.fromkeys(table["group"])) if len(table) else []
    handles = [Patch(color=GROUP_COLOURS.get(g, "#bbbbbb")) for g in groups]
    handles.append(Line2D([], [], marker="o", color="black", linestyle=""))
    fig.legend(
        handles,
        [*groups, "total (teams' moves vs no intervention)"],
        loc="lower center",
        ncol=min(len(handles), 6),
        frameon=False,
        fontsize=9,
        bbox_to_anchor=(0.5, 0.06),
    )
    footer(
        fig,
        note="means over members of a Shapley split; the parts add up to the total",
        scenario=scenario,
        members=members,
        seed=seed,
    )
    fig.tight_layout(rect=(0, 0.14, 1, 0.93))
    return fig
