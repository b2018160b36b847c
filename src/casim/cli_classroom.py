"""``casim app``, ``report`` and ``exercise``: the classroom's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from casim.cli_common import (
    app,
    err,
    handled,
    out,
)


@app.command("app")
def app_command(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario to open (default: remittance_shock).")] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "localhost",
) -> None:
    """Serve the interactive classroom app (Solara) on localhost: pick a scenario, move levers, run."""
    from casim.appserver import is_loopback, serve
    from casim.scenario import load_scenario

    with handled():
        if scenario is not None:
            load_scenario(scenario)  # a clear message now rather than a broken page later
        if not is_loopback(host):
            err.print(
                f"[bold red]WARNING[/bold red]: --host {escape(host)} makes the app reachable from other machines: "
                "anyone who can reach this address can run simulations on this computer. Use it only on a "
                "classroom network you trust, and stop the app (Ctrl+C) when the class ends.",
                markup=True,
            )
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
