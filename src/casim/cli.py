"""The ``casim`` command line: thin commands over the Python API.

Exit codes: 0 success; 1 a check or validation found failures; 2 bad input (a clear
message naming file, line and field, never a traceback); 130 interrupted (Ctrl-C);
143 terminated (SIGTERM).

The commands are grouped by purpose in :mod:`casim.cli_run`, :mod:`casim.cli_analysis`,
:mod:`casim.cli_explore` and :mod:`casim.cli_classroom`, all registered on one Typer app (:data:`casim.cli_common.app`).
"""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from casim import cli_analysis, cli_classroom, cli_explore, cli_run  # noqa: F401  (they register their commands)
from casim.cli_common import app
from casim.errors import Terminated

__all__ = ["app", "main"]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        import casim

        typer.echo(f"casim {casim.__version__} (mesa {version('mesa')}, numpy {version('numpy')})")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print casim's version and exit."),
    ] = None,
) -> None:
    """Scenario engine for Central Asia's geopolitics: run, compare and explain scenarios."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> None:
    """Entry point of the ``casim`` console script.

    SIGTERM unwinds the command like Ctrl-C: temporary folders are removed, worker processes
    and the app's server are stopped, and the exit code is 143.
    """
    signal.signal(signal.SIGTERM, _terminate)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
