"""``casim compare``, ``explain``, ``check`` and ``params``: the analyst's commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from casim.cli_common import (
    FAILED,
    AsJson,
    Fixed,
    Plots,
    Quiet,
    app,
    command_line,
    err,
    fixed_scenario,
    handled,
    out,
    parse_settings,
    print_json,
    progress_bar,
    records,
    track,
)
from casim.errors import CasimError
from casim.rng import MAX_MEMBERS, MAX_SEED
from casim.spec import Quarter


def _print_compare(table, names: list[str], quiet: bool) -> None:
    from casim.results import format_change

    if quiet:
        return
    out.print(
        "\nChange in alignment versus the baseline (median of member-by-member differences [90 % band]): "
        "at each scenario's peak (its quarter), then at the horizon; ≈0: the band lies within ±0.001\n"
    )
    for state, rows in table.groupby("state", sort=False):
        t = Table(title=state, title_justify="left", show_edge=False, pad_edge=False)
        t.add_column("toward")
        for name in names:
            t.add_column(name, justify="right")
        for pole, by_pole in rows.groupby("pole", sort=False):
            cells = []
            for name in names:
                r = by_pole[by_pole["scenario"] == name].iloc[0]
                peak = format_change(r["peak"], r["peak_p05"], r["peak_p95"])
                at_peak = peak if peak == "≈0" else f"{peak} {r['peak_quarter']}"
                horizon = format_change(r["horizon"], r["horizon_p05"], r["horizon_p95"])
                cells.append(f"{at_peak}\n{horizon} at the horizon")
            t.add_row(pole, *cells)
        out.print(t)
        out.print()


@app.command()
def compare(
    inputs: Annotated[list[Path], typer.Argument(help="Scenario files or results folders (casim run output).")],
    members: Annotated[
        int | None, typer.Option("--members", "-n", min=1, max=MAX_MEMBERS, help="Ensemble members.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED, help="Seed (common to all).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to create (default results/compare/<time>).")
    ] = None,
    plots: Plots = True,
    fixed: Fixed = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Compare scenarios on the same member seeds: paths, differences from the baseline, a table of changes.
    Scenarios are YAML files, library names (casim list) or results folders."""
    import time

    from casim.compare import comparison_manifest, gather
    from casim.folders import atomic_folder
    from casim.results_folder import MANIFEST, default_folder, write_json

    quiet = quiet or as_json
    with handled():
        start = time.perf_counter()
        with progress_bar(quiet) as bar:
            comp = gather(
                inputs,
                members=members,
                seed=seed,
                fixed=fixed,
                progress=track(bar, "simulating scenarios and baseline"),
            )
        timings = {"simulate": time.perf_counter() - start}
        final = out_dir or default_folder("compare")
        with atomic_folder(final) as temp:
            table = comp.table()
            table.to_csv(temp / "compare_changes.csv", index=False, float_format="%.6g")
            files = ["compare_changes.csv"]
            if plots:
                from casim.plots_compare import save_comparison_figures

                files += save_comparison_figures(comp, temp)
            timings["total"] = time.perf_counter() - start
            write_json(temp / MANIFEST, comparison_manifest(comp, [*files, MANIFEST], command_line(), timings))
        if as_json:
            print_json({"folder": str(final), "scenarios": comp.names, "notes": comp.notes, "changes": records(table)})
            return
        _print_compare(table, comp.names, quiet)
        for note in comp.notes:
            err.print(f"note: {note}")
        out.print(str(final) if quiet else f"results written to {final}")


@app.command()
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, or a library name (casim list).")],
    state: Annotated[str | None, typer.Option("--state", help="Explain only this state (default: all).")] = None,
    members: Annotated[int, typer.Option("--members", "-n", min=1, max=MAX_MEMBERS, help="Ensemble members.")] = 20,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED, help="Seed (default: the scenario's).")
    ] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Quarter to split, e.g. 2029Q2 (default: the peak of the change).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to create (default results/explain/<scenario>/<time>).")
    ] = None,
    plots: Plots = True,
    fixed: Fixed = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Split each state's change in alignment into the contributions of channels (a Shapley split)."""
    import time

    from casim import names
    from casim.explain import explain as split
    from casim.folders import atomic_folder
    from casim.results_folder import MANIFEST, build_manifest, default_folder, write_json
    from casim.scenario import load_scenario

    quiet = quiet or as_json
    with handled():
        scn = fixed_scenario(load_scenario(scenario), fixed)
        states = list(names.STATES)
        if state is not None:
            try:
                states = [names.resolve("state", state)]
            except names.UnknownName as error:
                raise CasimError("--state", 0, 0, "", str(error), suggestion=error.suggestion) from None
        start = time.perf_counter()
        with progress_bar(quiet) as bar:
            expl = split(scn, members=members, seed=seed, progress=track(bar, f"explaining {scn.name}"))
        chosen = None
        if quarter is not None:
            try:
                chosen = expl.labels.index(str(Quarter.parse(quarter)))
            except ValueError:
                raise CasimError(
                    "--quarter",
                    0,
                    0,
                    "",
                    f"expected a quarter between {expl.labels[1]} and {expl.labels[-1]}, got '{quarter}'",
                ) from None
        final = out_dir or default_folder("explain", scn.name)
        with atomic_folder(final) as temp:
            expl.tidy().to_csv(temp / "contributions.csv", index=False, float_format="%.6g")
            files = ["contributions.csv"]
            if plots:
                from casim.plots_compare import save_explanation_figures

                files += save_explanation_figures(expl, temp, states, chosen)
            manifest = build_manifest(
                "explain",
                scenarios={scn.name: expl.scenario},
                seed=expl.scenario.seed,
                member_ids=range(expl.total.shape[0]),
                files=[*files, MANIFEST],
                command=command_line(),
                sources={scn.name: str(scenario)},
                timings={"total": time.perf_counter() - start},
                extra={
                    "method": expl.method,
                    "coalitions": expl.coalitions,
                    "players": dict(zip(expl.players, [list(g) for g in expl.groups or []], strict=False)),
                    "max_abs_residual": float(abs(expl.residual).max()),
                },
            )
            write_json(temp / MANIFEST, manifest)
        if as_json:
            split_at = {st: chosen if chosen is not None else expl.peak_quarter(st) for st in states}
            print_json(
                {
                    "folder": str(final),
                    "scenario": scn.name,
                    "method": expl.method,
                    "note": "contributions at each state's quarter (the peak of its change unless --quarter); "
                    "every quarter is in contributions.csv",
                    "states": {
                        st: {
                            "quarter": expl.labels[q],
                            "contributions": records(expl.table(q).query("state == @st")),
                        }
                        for st, q in split_at.items()
                    },
                }
            )
            return
        if not quiet:
            for st in states:
                q = chosen if chosen is not None else expl.peak_quarter(st)
                moments = [q] if q == len(expl.labels) - 1 else [q, len(expl.labels) - 1]
                for moment in moments:
                    _print_explain(expl, st, moment)
            out.print(
                f"method: {expl.method} Shapley split over {len(expl.players)} players, {expl.coalitions} "
                f"coalition runs; largest |total - sum of parts| = {abs(expl.residual).max():.1e}"
            )
        out.print(str(final) if quiet else f"results written to {final}")


def _print_explain(expl, state: str, quarter: int) -> None:
    table = expl.table(quarter)
    rows = table[table["state"] == state]
    t = Table(
        title=f"{state} at {expl.labels[quarter]}: contributions to the change in alignment (means over members)",
        title_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    t.add_column("through")
    poles = list(dict.fromkeys(rows["pole"]))
    for pole in poles:
        t.add_column(pole, justify="right")
    for part, by_part in rows.groupby("part", sort=False):
        if part == "residual":
            continue
        values = by_part.set_index("pole")["mean"]
        style = "bold" if part == "total" else None
        t.add_row(part, *[f"{values[p]:+.4f}" for p in poles], style=style)
    out.print(t)
    out.print()


@app.command()
def check(
    members: Annotated[int, typer.Option("--members", "-n", min=1, max=MAX_MEMBERS, help="Ensemble members.")] = 200,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, max=MAX_SEED, help="Seed.")] = 2026,
    fixed: Annotated[
        bool, typer.Option("--fixed", help="Keep parameters at their values (default: draw them from their ranges).")
    ] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the results to this CSV file.")] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Pin a parameter in every run, PATH=VALUE (repeatable; the paths of a scenario's assumptions:), "
            "e.g. --set alignment.adjustment=0 to check a model whose governments never move.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Check that the model reproduces the stylized facts of the sources, across parameter uncertainty."""
    from casim.check import report_frame, run_check
    from casim.folders import write_text_atomic

    with handled():
        overrides = parse_settings(settings)
        with progress_bar(as_json) as bar:
            results = run_check(
                members=members,
                seed=seed,
                sample_ranges=not fixed,
                overrides=overrides,
                progress=track(bar, "running the baseline and the episodes"),
            )
        failed = [r.fact.id for r in results if not r.passed]
        if csv is not None:
            write_text_atomic(csv, report_frame(results).to_csv(index=False, float_format="%.6g"))
        if as_json:
            print_json(
                {
                    "members": members,
                    "seed": seed,
                    "sampled": not fixed,
                    "pinned": overrides,
                    "passed": not failed,
                    "failed": failed,
                    "facts": records(report_frame(results)),
                }
            )
            if failed:
                raise typer.Exit(FAILED)
            return
        how = "parameters at their values" if fixed else "every member drawing its parameters from their ranges"
        pinned = "; pinned: " + ", ".join(f"{k}={v:g}" for k, v in overrides.items()) if overrides else ""
        out.print(f"casim check: {len(results)} stylized facts, {members} members, seed {seed}, {how}{pinned}\n")
        for k, r in enumerate(results, start=1):
            low, mid, high = r.band()
            mark = "[green]PASS[/green]" if r.passed else "[red]FAIL[/red]"
            out.print(f"{k:2d}. {mark} {escape(r.fact.statement)}", markup=True)
            out.print(f"    source:   {r.fact.source}")
            out.print(f"    target:   {r.fact.target}")
            out.print(f"    bounds:   [{r.fact.low:g}, {r.fact.high:g}] because {r.fact.reason}")
            out.print(
                f"    observed: median {mid:.3g} ({r.fact.unit}), 90 % band [{low:.3g}, {high:.3g}]; holds in "
                f"{r.holding:.0%} of {r.applicable} members (required {r.fact.required:.0%})\n"
            )
        if failed:
            out.print(f"{len(failed)} of {len(results)} facts fail: {', '.join(failed)}")
            raise typer.Exit(FAILED)
        out.print(f"all {len(results)} facts hold")


@app.command()
def params(
    search: Annotated[
        str | None,
        typer.Option("--search", help="Show parameters whose path, description or source contains this text."),
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table (docs/parameters.md).")] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="A parameter file (default: the packaged baseline).")
    ] = None,
) -> None:
    """Print every parameter: value, unit, uncertainty range and source."""
    from casim.paramfile import load_parameters
    from casim.paramtable import parameter_rows, to_markdown

    with handled():
        rows = parameter_rows(load_parameters(file), search)
        if markdown:
            sys.stdout.write(to_markdown(rows))
            return
        for r in rows:
            out.print(f"[bold]{r['path']}[/bold]  ({r['kind']})  {escape(r['description'])}", markup=True)
            out.print(f"    value:  {r['value']}  [{r['unit']}]")
            out.print(f"    range:  {r['range']}")
            out.print(f"    source: {r['source']}\n")
        out.print(f"{len(rows)} parameter(s)" + (f" matching '{search}'" if search else ""))
