"""Classroom exercises: Markdown files with a small front matter, read and checked here.

Each exercise in ``exercises/`` is a Markdown file that starts with a YAML front matter::

    ---
    number: 1
    title: Remittance leverage
    scenarios: [remittance_shock]
    minutes: 50
    ---

followed by the sections in :data:`SECTIONS`, in that order. The ``## Commands`` section
holds one fenced ``bash`` block with the exact ``casim`` commands of the session (the test
suite runs every one of them). ``casim exercise list`` and ``casim exercise show N`` print
them; ``--students`` leaves out the instructor notes, for handing out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from casim.errors import CasimError
from casim.library import exercise_dir
from casim.names import suggest

#: The sections every exercise has, in order.
SECTIONS = (
    "Learning goals",
    "Background",
    "Student worksheet",
    "Commands",
    "Questions",
    "Instructor notes",
    "50-minute plan",
)
#: Sections only the teacher sees (left out by ``casim exercise show N --students``).
TEACHER_ONLY = ("Instructor notes", "50-minute plan")
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
FENCE = re.compile(r"```bash\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Exercise:
    """One classroom exercise.

    Attributes:
        number: Its number (the ``N`` of ``casim exercise show N``).
        title: Short title.
        scenarios: Names of the library scenarios it uses.
        minutes: Length of the session.
        path: The Markdown file.
        heading: The ``#`` heading line of the body.
        sections: Section title to section text (without its ``##`` line), in file order.
    """

    number: int
    title: str
    scenarios: tuple[str, ...]
    minutes: int
    path: Path
    heading: str
    sections: dict[str, str]

    def commands(self) -> list[str]:
        """The exact commands of the session, one per line of the ``bash`` block."""
        block = FENCE.search(self.sections.get("Commands", ""))
        if block is None:
            return []
        return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]

    def markdown(self, students: bool = False) -> str:
        """The exercise as Markdown; with ``students`` the teacher-only sections are left out."""
        parts = [self.heading, ""]
        for title, text in self.sections.items():
            if students and title in TEACHER_ONLY:
                continue
            parts += [f"## {title}", "", text.strip(), ""]
        return "\n".join(parts)


def _fail(path: Path, line: int, field: str, message: str, suggestion: str | None = None) -> CasimError:
    return CasimError(str(path), line, 1 if line else 0, field, message, suggestion=suggestion)


def parse_exercise(path: str | Path) -> Exercise:
    """Read and check one exercise file.

    Raises:
        CasimError: naming the file, line and what is missing or malformed.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    front = FRONT.match(text)
    if front is None:
        raise _fail(path, 1, "", "an exercise starts with a front matter between two '---' lines")
    try:
        meta = yaml.safe_load(front.group(1))
    except yaml.YAMLError as error:
        raise _fail(path, 2, "", f"the front matter is not valid YAML ({error})") from None
    if not isinstance(meta, dict):
        raise _fail(path, 2, "", "the front matter must be a mapping (number, title, scenarios, minutes)")
    for key, kind in (("number", int), ("title", str), ("scenarios", list), ("minutes", int)):
        if not isinstance(meta.get(key), kind):
            raise _fail(path, 2, key, f"expected {kind.__name__} in the front matter")
    body = text[front.end() :]
    first_line = text[: front.end()].count("\n") + 1
    heading = next((line for line in body.splitlines() if line.startswith("# ")), None)
    if heading is None:
        raise _fail(path, first_line, "", "missing the '# ' heading after the front matter")
    sections: dict[str, str] = {}
    found = list(re.finditer(r"^## (.+)$", body, re.MULTILINE))
    for k, match in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(body)
        sections[match.group(1).strip()] = body[match.end() : end].strip("\n")
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        raise _fail(path, first_line, "", f"missing section(s): {', '.join(missing)}; expected {', '.join(SECTIONS)}")
    exercise = Exercise(
        number=meta["number"],
        title=meta["title"],
        scenarios=tuple(str(s) for s in meta["scenarios"]),
        minutes=meta["minutes"],
        path=path,
        heading=heading,
        sections=sections,
    )
    commands = exercise.commands()
    if not commands:
        raise _fail(path, first_line, "Commands", "the Commands section needs a ```bash block of casim commands")
    for command in commands:
        if shlex.split(command)[0] != "casim":
            raise _fail(path, first_line, "Commands", f"not a casim command: {command!r}")
    return exercise


def load_exercises(folder: str | Path | None = None) -> list[Exercise]:
    """Every exercise in ``folder`` (default: the library's), ordered by number.

    Raises:
        CasimError: if the folder holds none, a file is malformed or two share a number.
    """
    folder = Path(folder) if folder is not None else exercise_dir()
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    exercises = [parse_exercise(f) for f in files if f.name.lower() != "readme.md"]
    if not exercises:
        raise CasimError(str(folder), 0, 0, "", "no exercises found (Markdown files with a front matter)")
    seen: dict[int, Path] = {}
    for ex in exercises:
        if ex.number in seen:
            raise _fail(ex.path, 2, "number", f"number {ex.number} is also used by {seen[ex.number].name}")
        seen[ex.number] = ex.path
    return sorted(exercises, key=lambda ex: ex.number)


def find_exercise(key: str, folder: str | Path | None = None) -> Exercise:
    """An exercise by number (``3``) or by a word of its file name or title (``water``).

    Raises:
        CasimError: with the closest match if there is none.
    """
    exercises = load_exercises(folder)
    for ex in exercises:
        if key.strip() == str(ex.number):
            return ex
    lowered = key.strip().lower()
    matches = [ex for ex in exercises if lowered in ex.path.stem.lower() or lowered in ex.title.lower()]
    if len(matches) == 1:
        return matches[0]
    known = [str(ex.number) for ex in exercises] + [ex.path.stem for ex in exercises]
    numbers = ", ".join(str(ex.number) for ex in exercises)
    raise CasimError(
        key,
        0,
        0,
        "exercise",
        f"no single exercise matches '{key}' (numbers: {numbers}); see casim exercise list",
        suggestion=suggest(key, known),
    )
