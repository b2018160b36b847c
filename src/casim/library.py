"""Where scenarios and exercises live, and short summaries of them.

In a source checkout (or an editable install) the library is the repository's
``scenarios/`` and ``exercises/`` folders; a wheel carries copies inside the package
(``casim/_scenarios``, ``casim/_exercises``). A ``scenarios/`` folder in the current
directory takes precedence, so a class can keep its own scenarios next to the library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from casim.errors import CasimError
from casim.yamlsrc import load_yaml

PACKAGE = Path(__file__).resolve().parent
REPOSITORY = PACKAGE.parent.parent


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[-1]


def scenario_dir() -> Path:
    """The scenario library: ./scenarios, else the repository's, else the packaged copy."""
    return _first_existing(Path.cwd() / "scenarios", REPOSITORY / "scenarios", PACKAGE / "_scenarios")


def exercise_dir() -> Path:
    """The exercises: the repository's ``exercises/`` or the packaged copy."""
    return _first_existing(REPOSITORY / "exercises", PACKAGE / "_exercises")


@dataclass(frozen=True)
class ScenarioSummary:
    """A scenario's name, file and first sentence of its description."""

    name: str
    file: Path
    summary: str


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of ``text`` (collapsed whitespace, at most ``limit`` characters)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def scenario_summaries(folder: Path) -> list[ScenarioSummary]:
    """Name and one-line description of every scenario file in ``folder``.

    Raises:
        CasimError: if the folder does not exist or holds no scenarios.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CasimError(str(folder), 0, 0, "", "no such folder of scenarios")
    rows = []
    for file in sorted(folder.glob("*.y*ml")):
        try:
            doc = load_yaml(file)
        except CasimError as error:
            rows.append(ScenarioSummary(file.stem, file, f"(unreadable: {error.issues[0].message})"))
            continue
        if isinstance(doc, dict):
            rows.append(
                ScenarioSummary(str(doc.get("name", file.stem)), file, first_sentence(str(doc.get("description", ""))))
            )
    if not rows:
        raise CasimError(str(folder), 0, 0, "", "the folder holds no scenario files (*.yaml)")
    return rows


def find_scenario(name: str) -> Path:
    """Path of a library scenario given its name or file name.

    Raises:
        CasimError: with a suggestion if there is no such scenario.
    """
    from casim.names import suggest

    folder = scenario_dir()
    for candidate in (Path(name), folder / name, folder / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    known = [p.stem for p in folder.glob("*.yaml")]
    raise CasimError(name, 0, 0, "", f"no scenario '{name}' in {folder}", suggestion=suggest(name, known))
