"""``casim run``, ``validate``, ``schema`` and ``list``: running scenarios and checking their files."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from casim.cli_common import (
    BAD_INPUT,
    Executor,
    Fixed,
    Plots,
    Quiet,
    Scheduler,
    app,
    check_executor,
    command_line,
    err,
    fixed_scenario,
    handled,
    out,
    phases,
    print_json,
    progress_bar,
    records,
    scenario_files,
    track,
)
from casim.errors import CasimError
from casim.rng import MAX_MEMBER_INDEX, MAX_MEMBERS, MAX_SEED


def print_change_table(table, scenario: str, sampled: bool, quiet: bool = False) -> None:
    """One table per state: change in alignment versus the baseline at its peak, at the horizon and
    on average over the run, each with its 90 % band ("≈0" when the band lies within ±0.001)."""
    from casim.results import NEGLIGIBLE, format_change

    if quiet:
        return
    how = "parameters drawn from their ranges" if sampled else "parameters fixed at their values (--fixed)"
    out.print(f"\nChange in alignment versus the baseline: {scenario} ({how})")
    out.print(
        "median of member-by-member differences (at the peak: with its quarter), below it the 90 % band;\n"
        f"≈0: the band lies within ±{NEGLIGIBLE:g}; up/down: share of members whose change at the peak "
        f"exceeds ±{NEGLIGIBLE:g}\n"
    )
    for state, rows in table.groupby("state", sort=False):
        t = Table(title=state, title_justify="left", show_edge=False, pad_edge=False)
        for col in ("toward", "at the peak", "at the horizon", "run mean", "up/down"):
            t.add_column(col, justify="left" if col == "toward" else "right", no_wrap=True)
        for _, r in rows.iterrows():
            peak = format_change(r["peak"], r["peak_p05"], r["peak_p95"], f" {r['peak_quarter']}\n")
            t.add_row(
                r["pole"],
                peak,
                format_change(r["horizon"], r["horizon_p05"], r["horizon_p95"], "\n"),
                format_change(r["mean"], r["mean_p05"], r["mean_p95"], "\n"),
                f"{r['p_up']:.0%}/{r['p_down']:.0%}",
            )
        out.print(t)
        out.print()


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, or a library name (casim list).")],
    members: Annotated[
        int | None,
        typer.Option("--members", "-n", min=1, max=MAX_MEMBERS, help="Ensemble members (default: the scenario's)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED, help="Seed (default: the scenario's).")
    ] = None,
    member: Annotated[
        int | None,
        typer.Option("--member", min=0, max=MAX_MEMBER_INDEX, help="Run only this member (reproduce one member)."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to create (default results/<scenario>/<time>).")
    ] = None,
    plots: Plots = True,
    report: Annotated[bool, typer.Option("--report", help="Also write a printable HTML report (report.html).")] = False,
    fixed: Fixed = False,
    quiet: Quiet = False,
    keep: Annotated[
        str,
        typer.Option(
            "--keep",
            help="What the folder keeps: all (with the ensemble file, ensemble.nc, needed by compare, explain "
            "and the app) or summary (tables and figures only; large runs need far less disk).",
        ),
    ] = "all",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the folder and the change table as JSON (for scripts); no bar.")
    ] = False,
    executor: Executor = "auto",
    scheduler: Scheduler = None,
) -> None:
    """Run a scenario and its paired baseline; write a results folder and print the change at its peak,
    at the horizon and on average. SCENARIO is a YAML file or a library name (casim list)."""
    from casim.folders import leftovers
    from casim.library import resolve_scenario
    from casim.resources import LARGE_RUN
    from casim.results_folder import execute
    from casim.scenario import load_scenario

    quiet = quiet or as_json

    def announce(plan) -> None:
        if not quiet and (plan.stream or plan.disk > LARGE_RUN):
            hint = "; --keep summary leaves the ensemble file out" if plan.keep and plan.disk > LARGE_RUN else ""
            err.print(f"this run: {plan.describe()}{hint}")

    with handled():
        check_executor(executor)
        scn = fixed_scenario(load_scenario(scenario), fixed)
        target = out_dir if out_dir is not None else Path("results") / scn.name
        stale = leftovers(target.parent if out_dir is not None else target, recursive=False)
        if stale and not quiet:
            err.print(
                f"note: {len(stale)} unfinished folder(s) of interrupted runs beside {target}; "
                f"'casim clean {target.parent if out_dir is not None else target}' removes them"
            )
        with progress_bar(quiet) as bar:
            extra = None
            if report:
                from casim.report import write_report_into

                extra = write_report_into
            tracker = track(bar, f"simulating {scn.name} and its baseline")
            folder = execute(
                scn,
                extra=extra,
                source=resolve_scenario(scenario),
                members=members,
                seed=seed,
                member=member,
                out=out_dir,
                plots=plots,
                command=command_line(),
                progress=tracker,
                on_plan=announce,
                executor=executor,
                scheduler=scheduler,
                keep=keep,
                phase=phases(tracker),
            )
        if as_json:
            print_json(
                {
                    "folder": str(folder.folder),
                    "scenario": scn.name,
                    "sampled": scn.sample_ranges,
                    "files": sorted(p.name for p in folder.folder.iterdir()),
                    "changes": records(folder.changes),
                }
            )
            return
        print_change_table(folder.changes, scn.name, scn.sample_ranges, quiet)
        out.print(str(folder.folder) if quiet else f"results written to {folder.folder}")


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders of them.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
) -> None:
    """Check scenario files; print every problem with file, line, field and a suggestion."""
    from casim.scenario import load_scenario

    with handled():
        files = scenario_files(paths)
        if not files:
            where = ", ".join(str(p) for p in paths)
            err.print(f"[red]error[/red] no scenario files (*.yaml) found in {escape(where)}", markup=True)
            raise typer.Exit(BAD_INPUT)
        bad = 0
        for file in files:
            try:
                load_scenario(file)
            except CasimError as error:
                bad += 1
                for issue in error.issues:
                    err.print(f"[red]error[/red] {escape(str(issue))}", markup=True)
            else:
                if not quiet:
                    out.print(f"ok {file}")
        if bad:
            err.print(f"{bad} of {len(files)} file(s) have problems")
            raise typer.Exit(BAD_INPUT)


@app.command()
def clean(
    folder: Annotated[Path, typer.Argument(help="Results folder to search (and everything below it).")] = Path(
        "results"
    ),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")] = False,
) -> None:
    """Remove the unfinished folders and stale locks that interrupted or crashed runs left behind.

    Only casim's own temporary folders (hidden, with its marker inside) and locks whose
    process no longer runs are touched; results and your own files never are."""
    from casim.folders import leftovers, remove_leftovers
    from casim.resources import gigabytes

    with handled():
        if not folder.is_dir():
            raise CasimError(str(folder), 0, 0, "", "no such folder")
        found = leftovers(folder)
        for item in found:
            out.print(f"{'would remove' if dry_run else 'removing'} {item.path} ({item.owner}, {gigabytes(item.size)})")
        if not found:
            out.print(f"nothing to clean in {folder}")
        elif not dry_run:
            freed = remove_leftovers(found)
            out.print(f"removed {len(found)} item(s), {gigabytes(freed)} freed")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from casim.scenario import scenario_schema

    with handled():
        sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


@app.command("list")
def list_scenarios(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder of scenarios (default: ./scenarios or the library).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (name, file, description).")] = False,
) -> None:
    """List the scenarios in the library with their descriptions (the name runs them: casim run NAME)."""
    from casim.library import scenario_dir, scenario_summaries

    with handled():
        folder = folder or scenario_dir()
        rows = scenario_summaries(folder)
        if as_json:
            print_json([{"name": r.name, "file": str(r.file), "description": r.description} for r in rows])
            return
        out.print(f"Scenarios in {folder} (run one by its name: casim run {rows[0].file.stem})\n")
        for row in rows:
            out.print(f"{row.file.stem}", style="bold", end="")
            out.print(f"  ({row.name})" if row.name != row.file.stem else "")
            out.print(
                textwrap.fill(
                    row.description or "(no description)", width=88, initial_indent="    ", subsequent_indent="    "
                )
            )
            out.print()
