"""Classroom exercises: each is complete, and every command in it runs as written.

The commands are run as a class would type them, in a fresh folder that holds the
scenario library as ``scenarios/``, with one addition: ``--members 8`` (a class runs the
scenarios' own ensembles; the commands, their options and the files they write do not
depend on the ensemble size, and 8 members keep the suite fast). Every file the worksheet
tells students to open must then exist in a folder those commands wrote.

``casim play`` serves a session until the teacher stops it; here a scripted class
(:func:`robot_class`) plays every turn through the session's own checks instead of
browsers (tests/test_browser.py plays one in Chromium). A replayed session keeps its
members, so ``--replay`` commands run without ``--members``.
"""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casim.cli import app
from casim.errors import CasimError
from casim.exercises import SECTIONS, find_exercise, load_exercises, parse_exercise
from helpers import LIBRARY, REPOSITORY

EXERCISES = load_exercises(REPOSITORY / "exercises")
runner = CliRunner()
#: Appended to every command of a session (see the module docstring).
SMALL = ["--members", "8"]


#: The moves of the reference class of exercise 7 (its instructor notes quote the outcome).
CLASS_MOVES = {
    0: {
        "Russia": {"weapon": {"TJ": {"remittances": "weaponise"}, "KG": {"remittances": "weaponise"}}},
        "China": {"effort": {"KG": {"fdi": 3, "education": 3}, "TJ": {"fdi": 3}}},
        "EU": {"effort": {"UZ": {"education": 3, "aid": 2}, "KZ": {"fdi": 2}}, "conditionality": 0.8},
    },
    2: {
        "Russia": {
            "weapon": {"TJ": {"remittances": "stop"}, "KG": {"remittances": "stop"}},
            "effort": {"TJ": {"security": 3}},
        }
    },
}


def robot_class(state, host="localhost", port=0, announce=None) -> None:
    """Stands in for :func:`casim.playserver.serve`: every team submits, the teacher ends every turn."""
    session = state.session
    if announce is not None:
        announce(f"http://{host}:{port}")
    for turn in range(session.turn, session.turns):
        for power, moves in CLASS_MOVES.get(turn, {}).items():
            if power in session.powers:
                session.submit(power, moves)
        session.advance()
        state.save()


def small(command: str) -> list[str]:
    args = shlex.split(command)[1:]
    return args if "--replay" in args else [*args, *SMALL]


@dataclass
class Session:
    """The outcome of running one exercise's commands."""

    results: list  # (command, click Result)
    files: set[str]


@pytest.fixture(
    scope="module",
    # one xdist group per exercise: both tests of an exercise share its session in one worker
    params=[pytest.param(ex, marks=pytest.mark.xdist_group(f"exercise{ex.number}")) for ex in EXERCISES],
    ids=lambda ex: f"exercise{ex.number}",
)
def session(request, tmp_path_factory) -> tuple:
    exercise = request.param
    room = tmp_path_factory.mktemp(f"class{exercise.number}")
    (room / "scenarios").symlink_to(LIBRARY, target_is_directory=True)
    mp = pytest.MonkeyPatch()
    mp.chdir(room)
    mp.setattr("casim.playserver.serve", robot_class)
    try:
        results = [(command, runner.invoke(app, small(command))) for command in exercise.commands()]
    finally:
        mp.undo()
    files = {p.name for p in (room / "results").rglob("*") if p.is_file()}
    return exercise, Session(results, files)


def test_there_are_at_least_five_exercises_with_distinct_numbers():
    assert len(EXERCISES) >= 5
    assert [ex.number for ex in EXERCISES] == sorted({ex.number for ex in EXERCISES})


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda ex: f"exercise{ex.number}")
def test_exercise_has_every_section_and_uses_library_scenarios(exercise):
    assert list(exercise.sections)[: len(SECTIONS)] == list(SECTIONS)
    worksheet = exercise.sections["Student worksheet"]
    steps = re.findall(r"^\*\*(\d)\. (\w+)", worksheet, re.MULTILINE)
    assert steps == [("1", "Predict"), ("2", "Run"), ("3", "Compare"), ("4", "Explain")]
    assert "002" in exercise.sections["Background"], "the background cites the study"
    for part in ("What the model shows", "Reading the uncertainty", "Limits"):
        assert part in exercise.sections["Instructor notes"]
    # the plan's time slots follow each other from 0 to the session's length
    slots = [
        (int(a), int(b)) for a, b in re.findall(r"^\|\s*(\d+)–(\d+)\s*\|", exercise.sections["50-minute plan"], re.M)
    ]
    assert len(slots) >= 4 and slots[0][0] == 0 and slots[-1][1] == exercise.minutes == 50
    assert all(prev[1] == nxt[0] for prev, nxt in itertools.pairwise(slots))
    for name in exercise.scenarios:
        assert (LIBRARY / f"{name}.yaml").is_file(), name
    used = {Path(tok).stem for cmd in exercise.commands() for tok in shlex.split(cmd) if tok.endswith(".yaml")}
    assert used == set(exercise.scenarios), "front matter scenarios and commands disagree"


def test_every_command_runs_as_written(session):
    exercise, outcome = session
    assert outcome.results
    for command, result in outcome.results:
        assert result.exit_code == 0, f"exercise {exercise.number}: {command}\n{result.output}"
        assert "Traceback" not in result.output
        assert any(word in result.output for word in ("results written to", "results/", "written to")), command


def test_files_the_worksheet_names_are_produced(session):
    exercise, outcome = session
    named = set(re.findall(r"`([\w.]+\.(?:png|csv|html|nc|json))`", exercise.sections["Student worksheet"]))
    named |= set(re.findall(r"`([\w.]+\.(?:png|csv|html|nc|json))`", exercise.sections["Instructor notes"]))
    assert named <= outcome.files, f"named but not produced: {sorted(named - outcome.files)}"


def test_exercise_list_and_show():
    listed = runner.invoke(app, ["exercise", "list"])
    assert listed.exit_code == 0
    for ex in EXERCISES:
        assert ex.title.split()[0] in listed.output
    shown = runner.invoke(app, ["exercise", "show", "1"])
    assert shown.exit_code == 0
    assert "Instructor notes" in shown.output and "casim run scenarios/remittance_shock.yaml" in shown.output
    played = runner.invoke(app, ["exercise", "show", "7"])
    assert played.exit_code == 0 and "casim play scenarios/remittance_shock.yaml --teams 3" in played.output
    handout = runner.invoke(app, ["exercise", "show", "1", "--students", "--markdown"])
    assert handout.exit_code == 0
    assert "## Student worksheet" in handout.output
    assert "Instructor notes" not in handout.output and "50-minute plan" not in handout.output


def test_exercise_found_by_word_and_unknown_one_is_a_clear_error():
    assert find_exercise("water").number == 5
    result = runner.invoke(app, ["exercise", "show", "42"])
    assert result.exit_code == 2
    assert "no single exercise matches '42'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter\n", "front matter"),
        ("---\nnumber: one\ntitle: x\nscenarios: []\nminutes: 50\n---\n# x\n", "number"),
        ("---\nnumber: 1\ntitle: x\nscenarios: []\nminutes: 50\n---\n# x\n## Learning goals\n", "missing section"),
    ],
)
def test_malformed_exercise_is_reported_with_file_and_field(tmp_path, text, message):
    path = tmp_path / "07_broken.md"
    path.write_text(text)
    with pytest.raises(CasimError) as caught:
        parse_exercise(path)
    assert message in str(caught.value) and "07_broken.md" in str(caught.value)


def test_commands_must_be_casim_commands(tmp_path):
    source = (REPOSITORY / "exercises" / "01_remittance_leverage.md").read_text()
    path = tmp_path / "01.md"
    path.write_text(source.replace("casim explain", "rm -rf / #"))
    with pytest.raises(CasimError, match="not a casim command"):
        parse_exercise(path)
