"""A printable report of a run: one self-contained HTML file.

``casim report RESULTS_DIR`` (or ``casim run ... --report``) writes ``report.html``: the
scenario and its sources, the figures (embedded, so the file travels alone), the key
numbers with their bands, the per-channel explanation and the manifest. It is laid out
for A4 paper: print it from the browser.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import xarray as xr

from casim.folders import final_name, write_text_atomic
from casim.names import POLES, STATES
from casim.results import QUANTILES, peak_quarter, quantiles
from casim.results_folder import read_contents, read_manifest

REPORT_FILE = "report.html"
#: Members of the per-channel explanation in a report (fewer if the run has fewer).
EXPLAIN_MEMBERS = 20
FIGURES = (
    (
        "alignment.png",
        "Alignment of each state toward each power and autonomy: the scenario (solid, with its 90 % band) "
        "against the baseline (dashed); shaded: the quarters in which the scenario's events act.",
    ),
    (
        "difference.png",
        "Change against the baseline, member by member, with 50 % and 90 % bands, on one scale for the five "
        "states; bottom right: the change in each power's soft power.",
    ),
    (
        "economy.png",
        "GDP, remittances and regime stability: medians of the scenario against the baseline (top), and the "
        "member-by-member change with its 90 % band (bottom).",
    ),
    (
        "ternary.png",
        "Each state's path between Russia, China and the EU (their shares renormalised to one), zoomed on the "
        "states: a dot each year, the members' positions at the end, the baseline dashed.",
    ),
)
CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #222; max-width: 186mm;
       margin: 0 auto; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 4pt 0; } h2 { font-size: 14pt; border-bottom: 1px solid #999;
  margin-top: 16pt; } h3 { font-size: 11.5pt; margin: 10pt 0 4pt 0; }
.lead { font-size: 11.5pt; } .muted { color: #555; font-size: 9pt; }
td .muted { font-size: 7.5pt; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt 0; page-break-inside: avoid; }
th, td { border-bottom: 1px solid #ddd; padding: 2pt 4pt; text-align: right; font-size: 9pt; }
th:first-child, td:first-child { text-align: left; } th { background: #f0f0f0; }
td.up { color: #1a6e1a; } td.down { color: #a11d1d; }
figure { margin: 8pt 0; page-break-inside: avoid; } figure img { width: 100%; }
figcaption { font-size: 9pt; color: #444; }
.section { page-break-before: always; } .nobreak { page-break-inside: avoid; }
@media screen { body { padding: 16px 8px; } }
@media print { a { color: inherit; text-decoration: none; } }
"""


def _img(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _signed(x: float) -> str:
    return f"{x:+.3f}"


def _change_table(diff: xr.DataArray, quarter: int, label: str) -> str:
    """HTML table: change toward each pole per state at ``quarter`` (median, 90 % band, P(up))."""
    at = diff.isel(quarter=quarter).transpose("member", "state", "pole").values
    q = quantiles(at, QUANTILES, axis=0)
    up = (at > 1e-6).mean(axis=0)
    head = "".join(f"<th>{html.escape(p)}</th>" for p in POLES)
    rows = []
    for i, state in enumerate(STATES):
        cells = []
        for k in range(len(POLES)):
            cls = "up" if q[1, i, k] > 1e-4 else "down" if q[1, i, k] < -1e-4 else ""
            cells.append(
                f'<td class="{cls}">{_signed(q[1, i, k])}<br><span class="muted">[{_signed(q[0, i, k])}, '
                f"{_signed(q[2, i, k])}]<br>{up[i, k]:.0%} up</span></td>"
            )
        rows.append(f"<tr><td>{html.escape(state)}</td>{''.join(cells)}</tr>")
    return f"<h3>{html.escape(label)}</h3><table><tr><th>state</th>{head}</tr>{''.join(rows)}</table>"


def _economy_table(paired: xr.Dataset, quarter: int) -> str:
    rows = []
    for state in STATES:
        cells = []
        for var, scale, fmt in (
            ("gdp_index", 100, "{:+.1f} %"),
            ("remittances", 100, "{:+.1f} pts"),
            ("regime_stability", 1, "{:+.3f}"),
        ):
            da = paired[var].sel(state=state).isel(quarter=quarter)
            d = ((da.sel(case="scenario") - da.sel(case="baseline")) * scale).values
            lo, mid, hi = quantiles(d, QUANTILES, axis=0)
            cells.append(
                f"<td>{fmt.format(mid)}<br><span class='muted'>[{fmt.format(lo)}, {fmt.format(hi)}]</span></td>"
            )
        rows.append(f"<tr><td>{html.escape(state)}</td>{''.join(cells)}</tr>")
    return (
        "<table><tr><th>state</th><th>GDP</th><th>remittances (% of GDP)</th><th>regime stability</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _soft_power_table(paired: xr.Dataset, quarter: int) -> str:
    da = paired.soft_power.isel(quarter=quarter)
    d = (da.sel(case="scenario") - da.sel(case="baseline")).transpose("member", "power").values
    q = quantiles(d, QUANTILES, axis=0)
    cells = "".join(
        f"<td>{_signed(q[1, k])}<br><span class='muted'>[{_signed(q[0, k])}, {_signed(q[2, k])}]</span></td>"
        for k in range(d.shape[1])
    )
    head = "".join(f"<th>{html.escape(str(p))}</th>" for p in paired.power.values)
    return f"<table><tr><th></th>{head}</tr><tr><td>change in soft power</td>{cells}</tr></table>"


def _explanation(scenario, members: int) -> str:
    """Per-channel explanation: a figure for the state that moved most and a table for every state."""
    from casim.explain import explain
    from casim.plots_compare import explain_figure

    expl = explain(scenario, members=members)
    moved = np.abs(expl.total.mean(axis=0)).sum(axis=2).max(axis=0)  # (state,)
    top = STATES[int(moved.argmax())]
    fig = explain_figure(expl, top)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    parts = [
        f"<p>Each state's change in alignment against the baseline is split into the contributions of the "
        f"mechanisms through which its government perceives the scenario (a {expl.method} Shapley split over "
        f"{expl.total.shape[0]} members; the parts add up to the total for every member, largest difference "
        f"{np.abs(expl.residual).max():.1e}). Numbers are means over members at the quarter of each state's "
        f"largest change, toward the pole that moved most.</p>",
        f"<figure><img src='{_img(buffer.getvalue())}' alt='explanation for {html.escape(top)}'>"
        f"<figcaption>Why {html.escape(top)} moved: contributions per pole at its peak, and over time."
        f"</figcaption></figure>",
        "<table><tr><th>state</th><th>quarter</th><th>toward</th><th>total</th><th>largest contributions</th></tr>",
    ]
    for i, state in enumerate(STATES):
        q = expl.peak_quarter(state)
        k = int(np.abs(expl.total[:, q, i, :].mean(axis=0)).argmax())
        means = expl.contributions[:, :, q, i, k].mean(axis=1)
        order = np.argsort(-np.abs(means))[:3]
        top3 = "; ".join(f"{html.escape(expl.players[j])} {means[j]:+.4f}" for j in order)
        parts.append(
            f"<tr><td>{html.escape(state)}</td><td>{html.escape(expl.labels[q])}</td><td>{POLES[k]}</td>"
            f"<td>{expl.total[:, q, i, k].mean():+.4f}</td><td style='text-align:left'>{top3}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)


def build_report(folder: str | Path, manifest: dict | None = None, explain_members: int = EXPLAIN_MEMBERS) -> str:
    """The HTML report of a results folder.

    Args:
        folder: A folder written by ``casim run`` (complete, or being written).
        manifest: The run's manifest (default: read ``manifest.json``).
        explain_members: Members for the per-channel explanation (0 to leave it out).

    Raises:
        CasimError: if the folder holds no run.
    """
    from casim import __version__

    folder = Path(folder)
    resolved, ds = read_contents(folder, lazy=True)
    with ds:
        if manifest is None:
            manifest = read_manifest(folder)
        paired = ds[["alignment", "gdp_index", "remittances", "regime_stability", "soft_power"]].load()
        labels = [str(x) for x in ds["label"].values]
    scenario = resolved.to_yaml_dict()
    diff = paired.alignment.sel(case="scenario") - paired.alignment.sel(case="baseline")
    peak = int(peak_quarter(diff, over=("state", "pole")))
    e = html.escape
    sources = "".join(f"<li>{e(s)}</li>" for s in scenario.get("sources", [])) or "<li>(none given)</li>"

    def lasting(ev: dict) -> str:
        return "for good" if ev.get("duration") == "permanent" else f"for {ev.get('duration')} quarters"

    events = "".join(
        f"<li><b>{e(ev.get('name') or ev.get('variable') or ev.get('parameter') or 'event')}</b>: "
        f"{e(str(ev.get('description') or ''))} ({e(ev.get('variable') or ev.get('parameter') or '')}: "
        f"{e(str(ev.get('op', '')))} {e(str(ev.get('value')))} from {e(str(ev.get('at')))}, {e(lasting(ev))})</li>"
        for ev in scenario.get("events", [])
    )
    name = final_name(folder)
    horizon_table = (
        "" if peak == len(labels) - 1 else _change_table(diff, -1, f"Alignment at the horizon ({labels[-1]})")
    )
    figures = "".join(
        f"<figure><img src='{_img((folder / name).read_bytes())}' alt='{e(name)}'><figcaption>{e(caption)}"
        f"</figcaption></figure>"
        for name, caption in FIGURES
        if (folder / name).is_file()
    )
    explanation = _explanation(resolved, explain_members) if explain_members else "<p>(left out)</p>"
    man_rows = "".join(
        f"<tr><td>{e(str(k))}</td><td style='text-align:left'>"
        f"{e(json.dumps(v) if isinstance(v, (dict, list)) else str(v))}</td></tr>"
        for k, v in manifest.items()
        if k not in ("files",)
    )
    # every field read from the folder is escaped: a results folder can be edited by anyone
    members, seed = e(str(manifest.get("members", paired.sizes["member"]))), e(str(manifest.get("seed", "")))
    files = manifest.get("files", [])
    listed = e(", ".join(str(f) for f in files)) if isinstance(files, list) else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>casim report: {e(scenario["name"])}</title>
<style>{CSS}</style></head><body>
<h1>{e(scenario["name"])}</h1>
<p class="muted">casim {e(__version__)} · {members} members · seed {seed} · {e(labels[0])} to {e(labels[-1])} ·
results folder <code>{e(name)}</code></p>
<p class="lead">{e(scenario.get("description", "").strip())}</p>
<h3>Sources</h3><ul>{sources}</ul>
{f"<h3>Events</h3><ul>{events}</ul>" if events else ""}
<div class="nobreak"><h2>Key numbers</h2>
<p>Changes against the paired baseline (same members, same random numbers): median, in brackets the 90 % band,
and the share of members where it rises.</p>
{_change_table(diff, peak, f"Alignment at the largest change ({labels[peak]})")}</div>
{horizon_table}
<h3>Economy and stability at {e(labels[peak])}</h3>{_economy_table(paired, peak)}
<h3>Soft power (regional favourability) at {e(labels[peak])}</h3>{_soft_power_table(paired, peak)}
<div class="section"><h2>Figures</h2>{figures or "<p>(the run was made with --no-plots)</p>"}</div>
<div class="section"><h2>Why states moved: the channels</h2>{explanation}</div>
<div class="section nobreak"><h2>Run</h2><table>{man_rows}</table>
<p class="muted">Files: {listed}</p></div>
</body></html>
"""


def write_report(folder: str | Path, out: str | Path | None = None, explain_members: int = EXPLAIN_MEMBERS) -> Path:
    """Write ``report.html`` into ``folder`` (or to ``out``: a file, or a folder to put it in); returns its path."""
    target = Path(out) if out is not None else Path(folder) / REPORT_FILE
    if target.is_dir():
        target = target / REPORT_FILE
    return write_text_atomic(target, build_report(folder, explain_members=explain_members))


def write_report_into(experiment, temp: Path, manifest: dict) -> list[str]:
    """Hook for ``casim run --report``: write the report inside the run's folder as it is written."""
    members = min(EXPLAIN_MEMBERS, int(experiment.data.sizes["member"]))
    (temp / REPORT_FILE).write_text(build_report(temp, manifest, explain_members=members), encoding="utf-8")
    return [REPORT_FILE]
