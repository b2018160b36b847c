"""The ``casim`` command line: thin commands over the Python API.

Exit codes: 0 success; 1 a check or validation found failures; 2 bad input (a clear
message naming file, line and field, never a traceback); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from casim.errors import CasimError
from casim.spec import Quarter

app = typer.Typer(
    name="casim",
    help="Scenario engine for Central Asia's geopolitics: run, compare and explain scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Text from users and files may contain brackets: never read it as Rich markup unless asked.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

BAD_INPUT, FAILED, INTERRUPTED = 2, 1, 130
FIXED_HELP = (
    "Keep every parameter at its value (default: each member draws the parameters from their documented "
    "ranges, so the bands show what the ranges imply)."
)


def _fixed(scenario, fixed: bool):
    """The scenario with its parameters kept at their values when ``--fixed`` is given."""
    return scenario.resolved(sample_ranges=False) if fixed else scenario


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Turn bad input into messages and exit codes instead of tracebacks."""
    try:
        yield
    except CasimError as error:
        for issue in error.issues:
            err.print(f"[red]error[/red] {escape(str(issue))}", markup=True)
        raise typer.Exit(BAD_INPUT) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was kept")
        raise typer.Exit(INTERRUPTED) from None


def _command_line() -> str:
    return "casim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            files.append(path)
    return files


def _progress(quiet: bool):
    """A progress bar on stderr (or nothing when quiet)."""
    if quiet:
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _track(bar, description: str):
    if bar is None:
        return None
    task = bar.add_task(description, total=None)

    def report(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return report


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


def _parse_settings(items: list[str] | None) -> dict[str, float]:
    """``PATH=VALUE`` pairs of ``--set`` as overrides; raises CasimError naming the bad item."""
    settings: dict[str, float] = {}
    for item in items or []:
        path, sep, raw = item.partition("=")
        if not sep or not path.strip():
            raise CasimError("--set", 0, 0, "", f"expected PATH=VALUE (e.g. alignment.adjustment=0), got '{item}'")
        try:
            settings[path.strip()] = float(raw)
        except ValueError:
            raise CasimError("--set", 0, 0, path.strip(), f"expected a number after '=', got '{raw}'") from None
    if settings:
        from casim.parameters import ParameterError
        from casim.paramfile import load_parameters

        try:
            load_parameters().with_overrides(settings)
        except ParameterError as error:
            raise CasimError("--set", 0, 0, error.path, error.detail, suggestion=error.suggestion) from None
    return settings


# --------------------------------------------------------------------------- commands


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    members: Annotated[
        int | None, typer.Option("--members", "-n", min=1, help="Ensemble members (default: the scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="Seed (default: the scenario's).")] = None,
    member: Annotated[
        int | None, typer.Option("--member", min=0, help="Run only this member (reproduce one member).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to create (default results/<scenario>/<time>).")
    ] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures.")] = True,
    report: Annotated[bool, typer.Option("--report", help="Also write a printable HTML report (report.html).")] = False,
    fixed: Annotated[bool, typer.Option("--fixed", help=FIXED_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the results folder.")] = False,
) -> None:
    """Run a scenario and its paired baseline; write a results folder and print the change at its peak,
    at the horizon and on average."""
    from casim.runner import execute
    from casim.scenario import load_scenario

    with handled():
        scn = _fixed(load_scenario(scenario), fixed)
        with _progress(quiet) as bar:
            extra = None
            if report:
                from casim.report import write_report_into

                extra = write_report_into
            folder = execute(
                scn,
                extra=extra,
                source=scenario,
                members=members,
                seed=seed,
                member=member,
                out=out_dir,
                plots=plots,
                command=_command_line(),
                progress=_track(bar, f"simulating {scn.name} and its baseline"),
            )
        print_change_table(folder.changes, scn.name, scn.sample_ranges, quiet)
        out.print(str(folder.folder) if quiet else f"results written to {folder.folder}")


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders of them.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
) -> None:
    """Check scenario files; print every problem with file, line, field and a suggestion."""
    from casim.scenario import load_scenario

    files = _scenario_files(paths)
    if not files:
        err.print("no scenario files found")
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
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from casim.scenario import scenario_schema

    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


@app.command("list")
def list_scenarios(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder of scenarios (default: ./scenarios or the library).")
    ] = None,
) -> None:
    """List the scenarios in the library with their one-line descriptions."""
    from casim.library import scenario_dir, scenario_summaries

    with handled():
        folder = folder or scenario_dir()
        rows = scenario_summaries(folder)
        t = Table(title=f"Scenarios in {folder}", title_justify="left", show_edge=False)
        t.add_column("scenario")
        t.add_column("file")
        t.add_column("description")
        for row in rows:
            t.add_row(row.name, row.file.name, row.summary)
        out.print(t)


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
    members: Annotated[int | None, typer.Option("--members", "-n", min=1, help="Ensemble members.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="Seed (common to all).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to create (default results/compare/<time>).")
    ] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures.")] = True,
    fixed: Annotated[bool, typer.Option("--fixed", help=FIXED_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the results folder.")] = False,
) -> None:
    """Compare scenarios on the same member seeds: paths, differences from the baseline, a table of changes."""
    import time

    from casim.compare import comparison_manifest, gather, write_json
    from casim.runner import atomic_folder, new_folder, timestamp

    with handled():
        start = time.perf_counter()
        with _progress(quiet) as bar:
            comp = gather(
                inputs,
                members=members,
                seed=seed,
                fixed=fixed,
                progress=_track(bar, "simulating scenarios and baseline"),
            )
        timings = {"simulate": time.perf_counter() - start}
        final = out_dir or new_folder(Path("results") / "compare", timestamp())
        with atomic_folder(final) as temp:
            table = comp.table()
            table.to_csv(temp / "compare_changes.csv", index=False, float_format="%.6g")
            files = ["compare_changes.csv"]
            if plots:
                from casim.plots import save_comparison_figures

                files += save_comparison_figures(comp, temp)
            timings["total"] = time.perf_counter() - start
            write_json(
                temp / "manifest.json", comparison_manifest(comp, [*files, "manifest.json"], _command_line(), timings)
            )
        _print_compare(table, comp.names, quiet)
        for note in comp.notes:
            err.print(f"note: {note}")
        out.print(str(final) if quiet else f"results written to {final}")


@app.command()
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    state: Annotated[str | None, typer.Option("--state", help="Explain only this state (default: all).")] = None,
    members: Annotated[int, typer.Option("--members", "-n", min=1, help="Ensemble members.")] = 20,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="Seed (default: the scenario's).")] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Quarter to split, e.g. 2029Q2 (default: the peak of the change).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to create (default results/explain/<scenario>/<time>).")
    ] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures.")] = True,
    fixed: Annotated[bool, typer.Option("--fixed", help=FIXED_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the results folder.")] = False,
) -> None:
    """Split each state's change in alignment into the contributions of channels (a Shapley split)."""
    import time

    from casim import names
    from casim.compare import write_json
    from casim.explain import explain as split
    from casim.runner import atomic_folder, dependency_versions, new_folder, timestamp
    from casim.scenario import load_scenario

    with handled():
        scn = _fixed(load_scenario(scenario), fixed)
        states = list(names.STATES)
        if state is not None:
            try:
                states = [names.resolve("state", state)]
            except names.UnknownName as error:
                raise CasimError("--state", 0, 0, "", str(error), suggestion=error.suggestion) from None
        start = time.perf_counter()
        with _progress(quiet) as bar:
            expl = split(scn, members=members, seed=seed, progress=_track(bar, f"explaining {scn.name}"))
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
        final = out_dir or new_folder(Path("results") / "explain" / scn.name, timestamp())
        with atomic_folder(final) as temp:
            expl.tidy().to_csv(temp / "contributions.csv", index=False, float_format="%.6g")
            files = ["contributions.csv"]
            if plots:
                from casim.plots import save_explanation_figures

                files += save_explanation_figures(expl, temp, states, chosen)
            write_json(
                temp / "manifest.json",
                {
                    "scenario": scn.name,
                    "scenario_file": str(scenario),
                    "members": members,
                    "seed": expl.scenario.seed,
                    "method": expl.method,
                    "coalitions": expl.coalitions,
                    "players": dict(zip(expl.players, [list(g) for g in expl.groups or []], strict=False)),
                    "max_abs_residual": float(abs(expl.residual).max()),
                    "command_line": _command_line(),
                    "dependencies": dependency_versions(),
                    "seconds": round(time.perf_counter() - start, 3),
                    "files": sorted([*files, "manifest.json"]),
                },
            )
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
    members: Annotated[int, typer.Option("--members", "-n", min=1, help="Ensemble members.")] = 200,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed.")] = 2026,
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
) -> None:
    """Check that the model reproduces the stylized facts of the sources, across parameter uncertainty."""
    from casim.check import report_frame, run_check

    with handled():
        overrides = _parse_settings(settings)
        with _progress(False) as bar:
            results = run_check(
                members=members,
                seed=seed,
                sample_ranges=not fixed,
                overrides=overrides,
                progress=_track(bar, "running the baseline and the episodes"),
            )
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
        failed = [r.fact.id for r in results if not r.passed]
        if csv is not None:
            report_frame(results).to_csv(csv, index=False, float_format="%.6g")
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


@app.command("app")
def app_command(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario to open (default: remittance_shock).")] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "localhost",
) -> None:
    """Serve the interactive classroom app (Solara) on localhost: pick a scenario, move levers, run."""
    from casim.appserver import serve
    from casim.scenario import load_scenario

    with handled():
        if scenario is not None:
            load_scenario(scenario)  # a clear message now rather than a broken page later
        code = serve(
            scenario, host=host, port=port, announce=lambda url: out.print(f"casim app on {url} (Ctrl+C to stop)")
        )
    raise typer.Exit(code)


@app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(help="A results folder written by casim run.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default FOLDER/report.html).")
    ] = None,
    members: Annotated[
        int, typer.Option("--explain-members", min=0, help="Members for the per-channel explanation (0: leave it out).")
    ] = 20,
) -> None:
    """Write a printable, self-contained HTML report of a run (figures embedded; A4 pages)."""
    from casim.report import write_report

    with handled():
        path = write_report(folder, out_file, explain_members=members)
        out.print(f"report written to {path}")


exercise_app = typer.Typer(help="Classroom exercises: worksheets, commands and instructor notes.", no_args_is_help=True)
app.add_typer(exercise_app, name="exercise")


@exercise_app.command("list")
def exercise_list() -> None:
    """List the classroom exercises: number, title, scenarios and length."""
    from casim.exercises import load_exercises
    from casim.library import exercise_dir

    with handled():
        exercises = load_exercises()
        t = Table(title=f"Exercises in {exercise_dir()}", title_justify="left", show_edge=False)
        t.add_column("N", justify="right")
        t.add_column("title")
        t.add_column("scenarios")
        t.add_column("minutes", justify="right")
        for ex in exercises:
            t.add_row(str(ex.number), ex.title, ", ".join(ex.scenarios), str(ex.minutes))
        out.print(t)
        out.print("Show one with: casim exercise show N  (--students leaves out the instructor notes)")


@exercise_app.command("show")
def exercise_show(
    key: Annotated[str, typer.Argument(help="Exercise number (or a word of its title).")],
    students: Annotated[
        bool, typer.Option("--students", help="Leave out the instructor notes and the lesson plan (to hand out).")
    ] = False,
    raw: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown source instead of formatted text.")
    ] = False,
) -> None:
    """Print an exercise: goals, background, worksheet, commands, questions and (for teachers) notes."""
    from rich.markdown import Markdown

    from casim.exercises import find_exercise

    with handled():
        exercise = find_exercise(key)
        text = exercise.markdown(students=students)
        if raw:
            out.print(text, markup=False, highlight=False)
        else:
            out.print(Markdown(text), soft_wrap=False)


def main() -> None:
    """Entry point of the ``casim`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
