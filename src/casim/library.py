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
    """A scenario's name, file, first sentence of its description and the whole description."""

    name: str
    file: Path
    summary: str
    description: str = ""


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of ``text`` (collapsed whitespace, at most ``limit`` characters)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut:  # never end mid-word
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


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
            text = str(doc.get("description", ""))
            rows.append(
                ScenarioSummary(
                    str(doc.get("name", file.stem)), file, first_sentence(text), re.sub(r"\s+", " ", text).strip()
                )
            )
    if not rows:
        raise CasimError(str(folder), 0, 0, "", "the folder holds no scenario files (*.yaml)")
    return rows


def resolve_scenario(path: str | Path) -> Path:
    """``path`` itself when it exists, else the library scenario of that name, else ``path``.

    A bare name (``remittance_shock`` or ``remittance_shock.yaml``, no folder) that is not a
    file here is looked up in :func:`scenario_dir`; anything else is returned unchanged, so
    a missing file is still reported as missing by the loader.
    """
    path = Path(path)
    if path.exists() or path.parent != Path(".") or not path.name:
        return path
    folder = scenario_dir()
    for candidate in (folder / path.name, folder / f"{path.name}.yaml", folder / f"{path.name}.yml"):
        if candidate.is_file():
            return candidate
    from casim.names import suggest

    known = sorted(p.stem for p in folder.glob("*.y*ml"))
    stem = path.stem if path.suffix in (".yaml", ".yml") else path.name
    raise CasimError(
        str(path),
        0,
        0,
        "",
        f"cannot read the file: no such file here, and no scenario of that name in the library ({folder}); "
        "'casim list' shows the library",
        suggestion=suggest(stem, known),
    )


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
