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
from casim.errors import CasimError, RunFailed

#: What ``casim app`` needs beyond the core install (the ``app`` extra).
APP_MODULES = ("solara", "uvicorn", "ipyvuetify")


def require_app_extra() -> None:
    """Stop with the install command when the app's dependencies are missing."""
    import importlib.util

    missing = [name for name in APP_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise RunFailed(
            f"casim app needs the app extra ({', '.join(missing)} not installed): "
            "pip install 'casim[app]' (in a source checkout: pip install -e '.[app]'); "
            "casim play needs no extra"
        )


@app.command("app")
def app_command(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario to open (default: remittance_shock).")] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "localhost",
) -> None:
    """Serve the interactive classroom app (Solara) on localhost: pick a scenario, move levers, run.
    Needs the app extra: pip install 'casim[app]'."""
    with handled():
        require_app_extra()
        from casim.appserver import is_loopback, serve
        from casim.scenario import load_scenario

        if scenario is not None:
            from casim.library import resolve_scenario

            load_scenario(scenario)  # a clear message now rather than a broken page later
            scenario = resolve_scenario(scenario)
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


@app.command("play")
def play_command(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario to play: a YAML file or a library name (default: baseline).")
    ] = None,
    teams: Annotated[
        int | None,
        typer.Option(
            "--teams", "-t", min=1, max=5, help="Teams; they steer Russia, China, EU, US, Turkey in that order."
        ),
    ] = None,
    powers: Annotated[
        str | None, typer.Option("--powers", help="The powers the teams steer, comma-separated (e.g. Russia,EU).")
    ] = None,
    turns: Annotated[int | None, typer.Option("--turns", min=1, help="Turns (one per year; default 5).")] = None,
    members: Annotated[
        int | None, typer.Option("--members", "-n", min=1, help="Ensemble members (default 30).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="Seed (default: the scenario's).")] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on.")] = 8770,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0: every network of this computer).")
    ] = "localhost",
    save: Annotated[
        Path | None,
        typer.Option(
            "--save", help="Session file, written after every turn (default results/play/<scenario>-<time>.json)."
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="A saved session: show its debrief, or go on playing if it was not finished."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="With --replay: write the debrief (figures, tables) into this folder and exit."
        ),
    ] = None,
) -> None:
    """A classroom game: each team steers one power, one turn per year; a debrief at the end.

    The teacher's page (printed when the session starts) gives each team its link; teams
    see only their own levers. The session is saved after every turn and can be replayed."""
    import datetime as dt

    from casim.appserver import is_loopback
    from casim.play import PlaySession, debrief, write_debrief
    from casim.playserver import PlayState, serve

    with handled():
        if replay is not None:
            if any(v is not None for v in (scenario, teams, powers, turns, members, seed)):
                raise CasimError(
                    "--replay", 0, 0, "", "a replayed session keeps its scenario, teams, turns, members and seed"
                )
            session = PlaySession.load(replay)
            save_path = replay
        else:
            if out_dir is not None:
                raise CasimError("--out", 0, 0, "", "--out writes a replayed session's debrief: give --replay FILE")
            chosen = [p.strip() for p in powers.split(",") if p.strip()] if powers else None
            session = PlaySession.start(
                scenario if scenario is not None else "baseline",
                teams=teams,
                powers=chosen,
                turns=turns,
                members=members,
                seed=seed,
            )
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            save_path = save or Path("results") / "play" / f"{session.scenario.name}-{stamp}.json"
            session.save(save_path)
        if out_dir is not None:
            folder = write_debrief(debrief(session), out_dir)
            out.print(f"debrief of {session.turn} turn(s) written to {folder}")
            return
        if not is_loopback(host):
            err.print(
                f"note: --host {escape(host)}: anyone on this network who has a team's link can play that team; "
                "only the teacher's link can end turns. Stop the session with Ctrl+C."
            )
        out.print("preparing the session (running the scenario once)…")
        state = PlayState(session, save_path)

        def announce(url: str) -> None:
            shown = url.replace("0.0.0.0", lan_address()) if host == "0.0.0.0" else url
            out.print(f"casim play: {session.scenario.name}, {len(session.powers)} team(s), {session.turns} turn(s)")
            out.print(f"  teacher:  {shown}/teacher?key={session.teacher_key}")
            for power in session.powers:
                out.print(f"  {power + ':':<9} {shown}/team?token={session.tokens[power]}")
            out.print(f"  debrief:  {shown}/debrief (after the last turn)")
            out.print(
                f"  saved after every turn to {save_path}; Ctrl+C stops (replay: casim play --replay {save_path})"
            )
            if is_loopback(host):
                out.print("  teams on other computers: restart with --host 0.0.0.0")

        try:
            serve(state, host=host, port=port, announce=announce)
        except KeyboardInterrupt as stop:  # Ctrl-C ends a session (exit 0); SIGTERM exits 143
            from casim.cli_common import TERMINATED
            from casim.errors import Terminated

            err.print(f"stopped; the session so far is in {save_path} (casim play --replay {save_path})")
            if isinstance(stop, Terminated):
                raise typer.Exit(TERMINATED) from None


def lan_address() -> str:
    """This computer's address on its local network, for the links teams open (no packet is sent:
    connecting a UDP socket only picks the outgoing interface). Falls back to its host name."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("10.255.255.255", 1))
            return str(sock.getsockname()[0])
    except OSError:
        return socket.gethostname()
