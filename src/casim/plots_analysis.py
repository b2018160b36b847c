"""Plots of the analyst's toolkit: sensitivity rankings, scenario discovery, robustness.

Axes-level functions take ``ax=None`` and return the axes (as in SALib); the
``*_figure`` functions compose them with a title and the footer every casim figure
carries (scenario, members, seed, casim version).
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from casim.plots import _ax, footer

#: Factors shown in a sensitivity bar chart.
TOP = 20


def _wrap(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.wrap(text, width))


def plot_sensitivity(table: pd.DataFrame, method: str, ax: Axes | None = None, top: int = TOP) -> Axes:
    """Horizontal bars of the leading factors: μ* with its 95 % interval (Morris), or ST and S1 (Sobol')."""
    ax = _ax(ax)
    shown = table.head(top).iloc[::-1]
    y = np.arange(len(shown))
    if method == "morris":
        ax.barh(y, shown.mu_star, xerr=shown.mu_star_conf, color="#1f4e9c", alpha=0.8, capsize=2, label="μ* (95 % CI)")
        ax.set_xlabel("μ*: mean absolute elementary effect (outcome units per full range)")
    else:
        ax.barh(y + 0.2, shown.ST, height=0.4, xerr=shown.ST_conf, color="#1f4e9c", capsize=2, label="total (ST)")
        ax.barh(y - 0.2, shown.S1, height=0.4, xerr=shown.S1_conf, color="#d4a017", capsize=2, label="first order (S1)")
        ax.set_xlabel("share of the outcome's variance (95 % CI)")
        ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(y, shown.factor, fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def sensitivity_figure(result) -> Figure:
    """The ranking of :class:`casim.sensitivity.Sensitivity` with its title and footer."""
    shown = min(TOP, len(result.table))
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.32 * shown))
    plot_sensitivity(result.table, result.method, ax)
    name = "Morris elementary effects" if result.method == "morris" else "Sobol' indices"
    ax.set_title(_wrap(f"{name}: {result.outcome.describe()} ({result.outcome.units})"), fontsize=11)
    data = result.experiment.data
    footer(fig, data, f"{result.rows} design rows, each with its paired baseline; factors grouped by {result.groups}")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_trajectory(discovery, ax: Axes | None = None) -> Axes:
    """PRIM's peeling trajectory: coverage against density, coloured by restricted dimensions."""
    ax = _ax(ax)
    t = discovery.trajectory
    points = ax.scatter(t.coverage, t.density, c=t.res_dim, cmap="viridis", s=18)
    ax.plot(t.coverage, t.density, color="#999999", linewidth=0.6, zorder=0)
    chosen = t.iloc[discovery.chosen]
    ax.scatter(
        [chosen.coverage],
        [chosen.density],
        s=140,
        facecolors="none",
        edgecolors="#c0392b",
        linewidths=2,
        label=f"chosen box: coverage {chosen.coverage:.0%}, density {chosen.density:.0%}",
    )
    ax.set_xlabel("coverage (share of all cases inside the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.figure.colorbar(points, ax=ax, label="restricted parameters")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_box(discovery, ax: Axes | None = None) -> Axes:
    """The chosen box: each restricted parameter's range in the box within its full range (0-1)."""
    ax = _ax(ax)
    box = discovery.box.iloc[::-1]
    width = (box.range_high - box.range_low).replace(0, 1)
    low = (box.box_low - box.range_low) / width
    high = (box.box_high - box.range_low) / width
    y = np.arange(len(box))
    ax.barh(y, np.ones(len(box)), color="#eeeeee", edgecolor="#bbbbbb")
    ax.barh(y, high - low, left=low, color="#1f4e9c", alpha=0.8)
    labels = [f"{p}  [{lo:.3g}, {hi:.3g}]" for p, lo, hi in zip(box.parameter, box.box_low, box.box_high, strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("position in the parameter's sampled range (box in blue)")
    if box.empty:
        ax.set_yticks([])
        ax.text(
            0.5,
            0.5,
            "the chosen box restricts no parameter:\nthe cases are spread over the whole sampled space\n"
            "(try a threshold that fewer members reach)",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=11,
            color="#444444",
        )
    return ax


def discovery_figure(discovery) -> Figure:
    """Peeling trajectory and chosen box side by side."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1, 1.3]})
    plot_trajectory(discovery, left)
    plot_box(discovery, right)
    side = "≤" if discovery.below else "≥"
    fig.suptitle(
        _wrap(
            f"Where {discovery.outcome.describe()} {side} {discovery.threshold:g}: "
            f"{int(discovery.cases.sum())} of {discovery.cases.size} members",
            110,
        ),
        fontsize=12,
    )
    footer(fig, discovery.experiment.data, "PRIM (EMA Workbench) over the members' parameter draws")
    fig.tight_layout(rect=(0, 0.05, 1, 0.93))
    return fig


def plot_regret(robustness, ax: Axes | None = None) -> Axes:
    """Each option's regret across futures (box: quartiles; whiskers: 5-95 %)."""
    ax = _ax(ax)
    order = list(robustness.table.option)
    data = [robustness.regret[o].values for o in order]
    ax.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False, tick_labels=order)
    ax.set_xlabel(f"regret ({robustness.outcome.units}): shortfall from the best option in the same future")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_best_share(robustness, ax: Axes | None = None) -> Axes:
    """The share of futures in which each option is best (and, with a threshold, satisfices)."""
    ax = _ax(ax)
    t = robustness.table
    y = np.arange(len(t))
    ax.barh(y - 0.2, t.best_share, height=0.4, color="#1f4e9c", label="best option")
    if "satisficing_share" in t:
        ax.barh(y + 0.2, t.satisficing_share, height=0.4, color="#148f77", label=f"reaches {robustness.threshold:g}")
    ax.set_yticks(y, t.option)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of futures")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def robust_figure(robustness) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 1.8 + 0.6 * len(robustness.table)))
    plot_regret(robustness, left)
    plot_best_share(robustness, right)
    goal = "smaller is better" if robustness.minimize else "larger is better"
    fig.suptitle(
        _wrap(
            f"Robustness over {len(robustness.values)} shared futures: {robustness.outcome.describe()} ({goal})", 110
        ),
        fontsize=12,
    )
    footer(
        fig,
        robustness.experiment.data,
        "every option on the same members and parameter draws",
        scenario=", ".join(robustness.table.option),
    )
    fig.tight_layout(rect=(0, 0.08, 1, 0.9))
    return fig
