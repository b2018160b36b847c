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
from matplotlib.patches import Patch

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
#: Colour of the shading that marks when a scenario's events act.
EVENT_SHADE = "#f3e3b5"


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


def event_spans(ds: xr.Dataset | xr.DataArray) -> list[tuple[float, float]]:
    """When the events of a run act, in the ``year`` units of its x axes: from the start of each
    window's first quarter to the end of its last (read from the ``event_quarters`` attribute)."""
    flat = np.atleast_1d(np.asarray(ds.attrs.get("event_quarters", []), dtype=int)).ravel()
    years = np.asarray(ds["year"].values, dtype=float)
    spans = []
    for first, last in zip(flat[0::2], flat[1::2], strict=True):
        if 1 <= first <= last < len(years):
            spans.append((float(years[first - 1]), float(years[last])))
    return spans


def shade_events(
    ax: Axes, spans: Sequence[tuple[float, float]], colour: str = EVENT_SHADE, alpha: float = 0.55
) -> Axes:
    """Shade the quarters in which events act (behind everything else)."""
    for x0, x1 in spans:
        ax.axvspan(x0, x1, color=colour, alpha=alpha, linewidth=0, zorder=0)
    return ax


#: Legend entry for the shading of :func:`shade_events`.
EVENT_KEY = (Patch(color=EVENT_SHADE, alpha=0.55), "events act")


def year_ticks(ax: Axes, x: np.ndarray, most: int = 6) -> Axes:
    """Whole years as x ticks, at most ``most`` of them (readable in narrow panels)."""
    first, last = int(np.ceil(x[0])), int(np.floor(x[-1]))
    step = max(1, int(np.ceil((last - first + 1) / most)))
    ticks = list(range(first, last + 1, step))
    ax.set_xticks(ticks, [str(t) for t in ticks])
    return ax


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


def plot_alignment(
    paired: xr.Dataset, state: str, ax: Axes | None = None, poles: Sequence[str] = POLES, shade: bool = True
) -> Axes:
    """Alignment of ``state`` toward each pole: scenario (solid, with band) and baseline (dashed);
    the quarters in which the scenario's events act are shaded."""
    ax = _ax(ax)
    x = paired["year"].values
    if shade:
        shade_events(ax, event_spans(paired))
    for pole in poles:
        colour = POLE_COLOURS[pole]
        band(ax, x, paired.alignment.sel(case="scenario", state=state, pole=pole), colour, "-", pole)
        median = paired.alignment.sel(case="baseline", state=state, pole=pole).median("member")
        ax.plot(x, median, "--", color=colour, linewidth=1.2, alpha=0.9)
    ax.set_title(state)
    ax.set_ylabel("alignment (share)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    year_ticks(ax, x)
    return ax


def plot_difference(
    paired: xr.Dataset, state: str, ax: Axes | None = None, poles: Sequence[str] = POLES, shade: bool = True
) -> Axes:
    """Scenario minus baseline in ``state``'s alignment, member by member: median, 50 % and 90 % bands;
    the quarters in which the scenario's events act are shaded."""
    ax = _ax(ax)
    x = paired["year"].values
    if shade:
        shade_events(ax, event_spans(paired))
    diff = difference(paired[["alignment"]]).alignment
    for pole in poles:
        band(ax, x, diff.sel(state=state, pole=pole), POLE_COLOURS[pole], "-", pole, inner=True, alpha=0.12)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(state)
    ax.set_ylabel("change in alignment (share)")
    ax.grid(alpha=0.3)
    year_ticks(ax, x)
    return ax


def plot_state_variable(
    paired: xr.Dataset,
    variable: str,
    ax: Axes | None = None,
    scale: float = 1.0,
    ylabel: str | None = None,
    states: Sequence[str] = STATES,
    bands: bool = True,
) -> Axes:
    """A per-state variable for every state: scenario solid (with its band if ``bands``), baseline dashed."""
    ax = _ax(ax)
    x = paired["year"].values
    for state in states:
        colour = STATE_COLOURS[state]
        scenario = paired[variable].sel(case="scenario", state=state) * scale
        if bands:
            band(ax, x, scenario, colour, "-", state, alpha=0.12)
        else:
            ax.plot(x, scenario.median("member"), "-", color=colour, label=state, linewidth=1.8)
        median = paired[variable].sel(case="baseline", state=state).median("member") * scale
        ax.plot(x, median, "--", color=colour, linewidth=1.1)
    ax.set_ylabel(ylabel or f"{variable} ({paired[variable].attrs.get('comment', '')})")
    ax.grid(alpha=0.3)
    year_ticks(ax, x)
    return ax


def plot_state_change(
    paired: xr.Dataset,
    variable: str,
    ax: Axes | None = None,
    scale: float = 1.0,
    ylabel: str | None = None,
    states: Sequence[str] = STATES,
) -> Axes:
    """Scenario minus baseline of a per-state variable, member by member: median and 90 % band per state."""
    ax = _ax(ax)
    x = paired["year"].values
    diff = (paired[variable].sel(case="scenario") - paired[variable].sel(case="baseline")) * scale
    for state in states:
        band(ax, x, diff.sel(state=state), STATE_COLOURS[state], "-", state, alpha=0.1)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(ylabel or f"change in {variable}")
    ax.grid(alpha=0.3)
    year_ticks(ax, x)
    return ax


def _corner(rcn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Barycentric (Russia, China, EU) to x, y in an equilateral triangle."""
    total = rcn.sum(axis=-1, keepdims=True)
    _, c, e = np.moveaxis(rcn / np.where(total > 0, total, 1), -1, 0)
    return c + 0.5 * e, e * np.sqrt(3) / 2


TRIANGLE = np.array([[0, 0], [1, 0], [0.5, np.sqrt(3) / 2], [0, 0]])


def _ternary_grid(ax: Axes, step: float) -> None:
    """Lines of constant share of each power, every ``step``, in the power's colour."""
    ax.plot(TRIANGLE[:, 0], TRIANGLE[:, 1], color="black", linewidth=1)
    for fraction in np.arange(step, 1, step):
        for k, power in enumerate(("Russia", "China", "EU")):
            pts = np.zeros((2, 3))
            pts[:, k] = fraction
            pts[0, (k + 1) % 3] = 1 - fraction
            pts[1, (k + 2) % 3] = 1 - fraction
            gx, gy = _corner(pts)
            ax.plot(gx, gy, color=POLE_COLOURS[power], alpha=0.18, linewidth=0.7, zorder=0)


def plot_ternary(paired: xr.Dataset, ax: Axes | None = None, states: Sequence[str] = STATES) -> Axes:
    """Each state's path between Russia, China and the EU (their shares renormalised to 1), zoomed
    on where the states are: median paths (scenario solid with a dot each year, baseline dashed),
    an arrow at the end, and each member's end point (the spread of the ensemble)."""
    ax = _ax(ax)
    points = []
    for state in states:
        colour = STATE_COLOURS[state]
        shares = paired.alignment.sel(state=state, pole=["Russia", "China", "EU"])
        ends = _corner(shares.sel(case="scenario").isel(quarter=-1).values)
        ax.scatter(*ends, s=7, color=colour, alpha=0.25, linewidths=0, zorder=1)
        points.append(np.column_stack(ends))
        for case in ("baseline", "scenario"):
            x, y = _corner(shares.sel(case=case).median("member").values)
            points.append(np.column_stack([x, y]))
            if case == "baseline":
                ax.plot(x, y, "--", color=colour, linewidth=1.2, alpha=0.8, zorder=2)
                continue
            ax.plot(x, y, "-", color=colour, linewidth=2.2, zorder=3)
            ax.plot(x[::4], y[::4], "o", color=colour, markersize=3.5, zorder=3)
            ax.plot(x[0], y[0], "o", color="white", markeredgecolor=colour, markersize=7, zorder=4)
            back = max(0, len(x) - 5)
            ax.annotate(
                "",
                xy=(x[-1], y[-1]),
                xytext=(x[back], y[back]),
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2.2, "mutation_scale": 16},
                zorder=4,
            )
            ax.annotate(
                state,
                (x[0], y[0]),
                xytext=(0, 9),
                textcoords="offset points",
                fontsize=9,
                color=colour,
                ha="center",
                fontweight="bold",
            )
    allpts = np.vstack(points)
    low, high = np.nanpercentile(allpts, 1, axis=0), np.nanpercentile(allpts, 99, axis=0)
    span = max(float((high - low).max()), 0.08)
    centre = (low + high) / 2
    ax.set_xlim(centre[0] - 0.6 * span, centre[0] + 0.6 * span)
    ax.set_ylim(centre[1] - 0.6 * span, centre[1] + 0.6 * span)
    _ternary_grid(ax, 0.05 if span < 0.3 else 0.1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("#999999")
    # directions toward each power (the corners lie outside the zoomed view), on the frame
    for power, text, (x, y), ha in (
        ("Russia", "\u2199 toward Russia", (0.0, -0.035), "left"),
        ("China", "toward China \u2198", (1.0, -0.035), "right"),
        ("EU", "\u2191 toward the EU", (0.5, 1.015), "center"),
    ):
        ax.text(
            x,
            y,
            text,
            transform=ax.transAxes,
            ha=ha,
            va="top" if y < 0 else "bottom",
            fontsize=10,
            fontweight="bold",
            color=POLE_COLOURS[power],
        )
    return ax


def ternary_overview(ax: Axes, view: Axes) -> Axes:
    """The whole triangle with the part ``view`` shows marked (for a zoomed :func:`plot_ternary`)."""
    ax.plot(TRIANGLE[:, 0], TRIANGLE[:, 1], color="black", linewidth=0.8)
    (x0, x1), (y0, y1) = view.get_xlim(), view.get_ylim()
    ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="#c0392b", linewidth=1.2))
    for label, (cx, cy), va in zip(("Russia", "China", "EU"), TRIANGLE[:3], ("top", "top", "bottom"), strict=True):
        ax.text(
            cx,
            cy + (0.04 if va == "bottom" else -0.04),
            label,
            fontsize=8,
            ha="center",
            va=va,
            color=POLE_COLOURS[label],
        )
    ax.set_xlim(-0.15, 1.15)
    ax.set_ylim(-0.15, 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("where: the whole triangle", fontsize=8)
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


def _events(paired: xr.Dataset) -> tuple:
    return (EVENT_KEY,) if event_spans(paired) else ()


def alignment_figure(paired: xr.Dataset) -> Figure:
    """Alignment of each state toward each power and autonomy, scenario against baseline."""
    fig, axes = _grid(f"Alignment toward each power: {paired.attrs.get('scenario', '')} vs baseline")
    for ax, state in zip(axes, STATES, strict=False):
        plot_alignment(paired, state, ax)
    _regional_panel(paired, axes[5])
    _legend_below(fig, axes[0], ncol=9, extra=(*CASE_KEYS, *_events(paired)))
    footer(fig, paired)
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    return fig


def _regional_panel(paired: xr.Dataset, ax: Axes) -> None:
    """Sixth panel: hedging index per state (1 = even spread over all poles)."""
    shade_events(ax, event_spans(paired))
    plot_state_variable(paired, "hedging", ax, ylabel="hedging index (0-1)", bands=False)
    ax.set_title("Hedging (normalised entropy of alignment; medians)")
    ax.legend(fontsize=7, loc="lower left")


def _shared_limits(axes: Sequence[Axes]) -> tuple[float, float]:
    """One y range that holds every panel's data (their own autoscaled limits)."""
    lows, highs = zip(*(ax.get_ylim() for ax in axes), strict=True)
    return min(lows), max(highs)


def difference_figure(paired: xr.Dataset) -> Figure:
    """Change of alignment versus the baseline (member by member) with 50 % and 90 % bands, on one
    scale for all five states, so the panels compare at a glance."""
    fig, axes = _grid(f"Change in alignment versus baseline: {paired.attrs.get('scenario', '')}")
    for ax, state in zip(axes, STATES, strict=False):
        plot_difference(paired, state, ax)
    low, high = _shared_limits(axes[:5])
    for ax in axes[:5]:
        ax.set_ylim(low, high)
    ax = axes[5]
    x = paired["year"].values
    shade_events(ax, event_spans(paired))
    diff = difference(paired[["soft_power"]]).soft_power
    for pole in POLES[:-1]:
        band(ax, x, diff.sel(power=pole), POLE_COLOURS[pole], "-", pole, inner=True, alpha=0.12)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title("Change in soft power (regional favourability)")
    ax.set_ylabel("change in favourability (0-1)")
    ax.grid(alpha=0.3)
    year_ticks(ax, x)
    _legend_below(fig, axes[0], ncol=7, extra=_events(paired))
    footer(
        fig,
        paired,
        "lines: median difference; bands: 50 % and 90 % of members; the five state panels share one scale",
    )
    fig.tight_layout(rect=(0, 0.07, 1, 0.96))
    return fig


ECONOMY = (
    ("gdp_index", 1.0, "GDP", "real GDP index (start = 1)", "change in GDP index"),
    ("remittances", 100.0, "Remittances", "remittances (% of GDP)", "change (points of GDP)"),
    ("regime_stability", 1.0, "Regime stability", "regime stability (0-1)", "change in stability"),
)


def economy_figure(paired: xr.Dataset) -> Figure:
    """GDP, remittances and regime stability per state: levels (medians, scenario against baseline)
    on top, the member-by-member change versus the baseline with its 90 % band below."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), sharex=True)
    fig.suptitle(
        f"Economy and stability: {paired.attrs.get('scenario', '')} vs baseline", fontsize=14, fontweight="bold"
    )
    spans = event_spans(paired)
    for c, (variable, scale, title, level, change) in enumerate(ECONOMY):
        top, bottom = axes[0, c], axes[1, c]
        shade_events(top, spans)
        plot_state_variable(paired, variable, top, scale=scale, ylabel=level, bands=False)
        top.set_title(f"{title} (medians)")
        shade_events(bottom, spans)
        plot_state_change(paired, variable, bottom, scale=scale, ylabel=change)
        bottom.set_title(f"{title}: change versus baseline")
        bottom.set_xlabel("year")
    keys = (
        (Line2D([], [], color="black", linestyle="-"), "scenario (median)"),
        (Line2D([], [], color="black", linestyle="--"), "baseline (median)"),
        (Patch(color="#777777", alpha=0.2), "90 % of members (change)"),
        *_events(paired),
    )
    _legend_below(fig, axes[0, 0], ncol=9, extra=keys)
    footer(fig, paired)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return fig


def ternary_figure(paired: xr.Dataset) -> Figure:
    """The path of each state between Russia, China and the EU (zoomed, with an overview)."""
    fig = plt.figure(figsize=(10, 8.6))
    fig.suptitle(
        f"Between Russia, China and the EU: {paired.attrs.get('scenario', '')}", fontsize=14, fontweight="bold"
    )
    ax = fig.add_axes((0.05, 0.19, 0.7, 0.72))
    plot_ternary(paired, ax)
    ternary_overview(fig.add_axes((0.78, 0.68, 0.2, 0.2)), ax)
    states = tuple((Line2D([], [], color=STATE_COLOURS[s], linewidth=2.2), s) for s in STATES)
    keys = (
        (Line2D([], [], color="black", linewidth=2.2, marker="o", markersize=3.5), "scenario (median; dot each year)"),
        (Line2D([], [], color="black", linestyle="--"), "baseline (median)"),
        (Line2D([], [], color="black", marker="o", linestyle="", alpha=0.3, markersize=4), "members at the end"),
        (Line2D([], [], color="white", marker="o", markeredgecolor="black", linestyle=""), "start"),
    )
    _legend_below(fig, None, ncol=3, extra=(*states, *keys), y=0.035)
    footer(fig, paired, "shares of the three powers renormalised to 1; zoomed on the states (top right: where)")
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
