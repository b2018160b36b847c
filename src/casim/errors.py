"""casim's own error type for bad input: one clear message per problem, with a location.

Every problem a user can cause with a file (a scenario, a parameter file, a results
folder) is reported as a :class:`CasimError` holding one or more :class:`Issue` s, each
naming the file, line, column and field, what was expected and, where possible, a
suggestion. The CLI prints them and exits non-zero; it never shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Longest message printed for one issue: a value from a file is never echoed in full.
MAX_MESSAGE = 600


def _clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 12] + " … " + text[-9:]


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file.

    Attributes:
        file: Path of the file.
        line: 1-based line (0 if unknown).
        col: 1-based column (0 if unknown).
        field: Dotted field name (``events[2].channel``).
        message: What is wrong and what was expected.
        suggestion: A close valid value, if any.
    """

    file: str
    line: int
    col: int
    field: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        hint = f"; did you mean '{self.suggestion}'?" if self.suggestion else ""
        field = f"{_clip(self.field, 120)}: " if self.field else ""
        return f"{where}: {field}{_clip(self.message, MAX_MESSAGE)}{hint}"


class CasimError(Exception):
    """Bad input, with one or more located issues.

    Construct with one issue's parts, ``CasimError(file, line, col, field, message,
    suggestion=...)``, or with a list via :meth:`from_issues`.
    """

    def __init__(
        self,
        file: str,
        line: int = 0,
        col: int = 0,
        field: str = "",
        message: str = "",
        *,
        suggestion: str | None = None,
    ):
        self.issues: list[Issue] = [Issue(file, line, col, field, message, suggestion)]
        super().__init__(str(self.issues[0]))

    @classmethod
    def from_issues(cls, issues: list[Issue]) -> CasimError:
        """An error carrying several issues (at least one)."""
        if not issues:
            raise ValueError("a CasimError needs at least one issue")
        err = cls(
            issues[0].file,
            issues[0].line,
            issues[0].col,
            issues[0].field,
            issues[0].message,
            suggestion=issues[0].suggestion,
        )
        err.issues = list(issues)
        err.args = ("\n".join(str(i) for i in issues),)
        return err

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


class RunFailed(Exception):
    """A run or a write could not complete for a reason other than bad input.

    The message is one line saying what failed and, where it helps, what to do; the CLI
    prints it and exits 1. Examples: non-finite results, a full disk, a target folder
    created by someone else meanwhile.
    """


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM: it unwinds like Ctrl-C (temporary files are removed,
    worker processes stopped) and exits with 143."""
