"""What every ``casim`` command shares: the Typer app, the consoles, error handling, progress.

The commands live in :mod:`casim.cli_run` (run, validate, schema, list),
:mod:`casim.cli_analysis` (compare, explain, check, params) and :mod:`casim.cli_classroom`
(app, report, exercise); :mod:`casim.cli` assembles them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from casim.errors import CasimError, RunFailed, Terminated

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

BAD_INPUT, FAILED, INTERRUPTED, TERMINATED = 2, 1, 130, 143
FIXED_HELP = (
    "Keep every parameter at its value (default: each member draws the parameters from their documented "
    "ranges, so the bands show what the ranges imply)."
)


Executor = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where members run: auto, serial, processes, or dask (a Dask cluster; results are identical).",
    ),
]
Plots = Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the results folder.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the results as JSON (for scripts); no bar.")]
Fixed = Annotated[bool, typer.Option("--fixed", help=FIXED_HELP)]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", help="Address of a Dask scheduler (tcp://host:8786) for --executor dask."),
]


def check_executor(executor: str) -> None:
    """Refuse an unknown ``--executor`` with the choices."""
    from casim.executors import EXECUTORS

    if executor not in EXECUTORS:
        raise CasimError("--executor", 0, 0, "", f"expected one of {', '.join(EXECUTORS)}, got '{executor}'")


def fixed_scenario(scenario, fixed: bool):
    """The scenario with its parameters kept at their values when ``--fixed`` is given."""
    return scenario.resolved(sample_ranges=False) if fixed else scenario


#: Longest message shown for an unexpected error (never echo a huge value).
MAX_MESSAGE = 300


def _short(text: object) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


#: OS errors that mean a path the user gave is unusable (exit 2, not 1).
BAD_PATH = (errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTDIR)


def _os_error(error: OSError) -> str:
    where = f" {error.filename}" if error.filename else ""
    if error.errno == errno.ENAMETOOLONG:
        return f"the path{where[:120]}… is too long for the file system"
    if error.errno == errno.ENOSPC:
        return f"no space left on the device{where}; free some space or write elsewhere (--out)"
    return f"cannot access{where}: {error.strerror or error}"


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Turn every failure into a one-line message and an exit code, never a traceback.

    Exit codes: 2 bad input (:class:`CasimError`, located); 1 a run that could not complete
    (:class:`RunFailed`, an OS error, memory); 130 interrupted (Ctrl-C); 143 terminated
    (SIGTERM). Any other
    exception is a bug in casim: one line says so (``CASIM_DEBUG=1`` shows the traceback).
    """
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except CasimError as error:
        for issue in error.issues:
            err.print(f"[red]error[/red] {escape(str(issue))}", markup=True)
        raise typer.Exit(BAD_INPUT) from None
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        err.print(f"{'terminated' if terminated else 'interrupted'}: nothing was kept")
        raise typer.Exit(TERMINATED if terminated else INTERRUPTED) from None
    except RunFailed as error:
        err.print(f"[red]error[/red] {escape(_short(error))}", markup=True)
        raise typer.Exit(FAILED) from None
    except MemoryError:
        err.print("[red]error[/red] not enough memory for this run; use fewer members (--members)", markup=True)
        raise typer.Exit(FAILED) from None
    except BrokenPipeError:  # the reader went away (casim list | head): stop quietly
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(FAILED) from None
    except OSError as error:
        err.print(f"[red]error[/red] {escape(_short(_os_error(error)))}", markup=True)
        raise typer.Exit(BAD_INPUT if error.errno in BAD_PATH else FAILED) from None
    except Exception as error:
        if os.environ.get("CASIM_DEBUG"):
            raise
        err.print(
            f"[red]internal error[/red] {escape(_short(f'{type(error).__name__}: {error}'))} "
            "(a bug in casim: please report it with the command; CASIM_DEBUG=1 shows the traceback)",
            markup=True,
        )
        raise typer.Exit(FAILED) from None


def print_json(data: object) -> None:
    """Write ``data`` to stdout as JSON (``--json``): NaN becomes null, paths and dates strings."""
    import json
    import math

    def clean(value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if hasattr(value, "item") and callable(value.item):  # NumPy scalars
            return clean(value.item())
        return value

    sys.stdout.write(json.dumps(clean(data), indent=2, default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


def records(table) -> list[dict]:
    """A DataFrame as a list of rows for :func:`print_json` (which turns NumPy scalars into numbers)."""
    return table.to_dict(orient="records")


def command_line() -> str:
    return "casim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            files.append(path)
    return files


def progress_bar(quiet: bool):
    """A progress bar on stderr with elapsed time and an estimate of the time left (or nothing when quiet)."""
    if quiet:
        return contextlib.nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


class Tracker:
    """Reports a command's progress to one bar: ``tracker(done, total)`` for counted work,
    ``tracker.phase("writing figures")`` to relabel the bar for a phase without a count."""

    def __init__(self, bar, description: str) -> None:
        self.bar = bar
        self.task = bar.add_task(description, total=None)

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def phase(self, description: str) -> None:
        """A new, uncounted task in place of the current one (Rich cannot unset a total)."""
        self.bar.remove_task(self.task)
        self.task = self.bar.add_task(description, total=None)


def track(bar, description: str) -> Tracker | None:
    """A :class:`Tracker` on ``bar`` (None when there is no bar)."""
    return None if bar is None else Tracker(bar, description)


def phases(tracker: Tracker | None):
    """The tracker's ``phase`` method, or None."""
    return None if tracker is None else tracker.phase


def parse_settings(items: list[str] | None) -> dict[str, float]:
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
