"""The ``casim`` command line: thin commands over the Python API.

Exit codes: 0 success; 1 a check or validation found failures; 2 bad input (a clear
message naming file, line and field, never a traceback); 130 interrupted.

The commands are grouped by purpose in :mod:`casim.cli_run`, :mod:`casim.cli_analysis` and
:mod:`casim.cli_classroom`, all registered on one Typer app (:data:`casim.cli_common.app`).
"""

from __future__ import annotations

from casim import cli_analysis, cli_classroom, cli_run  # noqa: F401  (they register their commands)
from casim.cli_common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``casim`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
