"""Docs match code: the model description, the parameter reference, the calibration record, the README."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casim.cli import app
from casim.paramfile import load_parameters

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
runner = CliRunner()

#: Every submodel's function, which docs/model.md must name (and which must exist).
SUBMODELS = {
    "casim.channels": [
        "grow_potentials",
        "disruption",
        "cyclical_loss",
        "coercive_cut",
        "attribute",
        "credit_help",
        "realise_flows",
        "state_substitutability",
        "effective_substitutability",
        "advance_diversification",
        "exposure",
        "jurisdiction",
        "perceived_flow",
        "relative_change",
        "citizen_signals",
    ],
    "casim.economy": [
        "advance_russia",
        "remittance_factor",
        "advance_gdp",
        "advance_stability",
        "advance_threat",
        "harm_weight",
        "advance_credibility",
        "capability",
        "water_availability",
        "water_stress",
        "cross_river",
        "advance_water_cooperation",
        "advance_cooperation",
        "advance_standards",
    ],
    "casim.government": [
        "utilities",
        "autonomy_utility",
        "options",
        "bandwagon",
        "hedging_target",
        "calibrate_bias",
        "update_alignment",
        "peer_shift",
    ],
    "casim.powers": ["effort", "decide_weaponisation", "decide_guarantee", "remember", "tick"],
    "casim.interventions": ["timed_weights", "random_weights"],
    "casim.world": ["initial_world", "axis_sum"],
}
ODD = [
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialisation",
    "Input data",
    "Submodels",
    "Basic principles",
    "Emergence",
    "Adaptation",
    "Objectives",
    "Learning",
    "Prediction",
    "Sensing",
    "Interaction",
    "Stochasticity",
    "Collectives",
    "Observation",
]


#: The phases of a quarter, in the order docs/model.md section 3 names them.
PHASES = ["powers_act", "update_channels", "update_economy", "update_citizens", "update_governments", "record"]


def test_the_schedule_in_the_docs_is_the_order_step_calls_its_phases():
    from casim.model import CentralAsiaModel

    text = (DOCS / "model.md").read_text()
    schedule = text[text.index("## 3. Process overview") : text.index("## 4. Design concepts")]
    named = [phase for phase in re.findall(r"`CentralAsiaModel\.(\w+)`", schedule)]
    assert named == PHASES, named
    step = ast.parse(inspect.getsource(CentralAsiaModel.step).strip()).body[0]
    called = [
        node.func.attr
        for node in ast.walk(step)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PHASES
    ]
    calls = sorted(
        (n for n in ast.walk(step) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    assert [c.func.attr for c in calls if c.func.attr in PHASES] == PHASES, called


def test_model_description_follows_every_odd_element():
    text = (DOCS / "model.md").read_text()
    for element in ODD:
        assert element in text, element


@pytest.mark.parametrize("module", sorted(SUBMODELS))
def test_model_description_names_the_code_of_every_submodel(module):
    text = (DOCS / "model.md").read_text()
    mod = importlib.import_module(module)
    for name in SUBMODELS[module]:
        assert callable(getattr(mod, name)), f"{module}.{name} does not exist"
        named = re.search(rf"`(?:[\w.]+\.)?{name}`", text)
        assert named, f"docs/model.md does not name {module}.{name}"


def test_every_casim_reference_in_the_docs_resolves():
    for doc in [*DOCS.glob("*.md"), ROOT / "README.md"]:
        for ref in set(re.findall(r"`(casim(?:\.[A-Za-z_]\w*)+)`", doc.read_text())):
            parts = ref.split(".")
            for cut in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:cut]))
                    break
                except ModuleNotFoundError:
                    continue
            for attr in parts[cut:]:
                assert hasattr(obj, attr), f"{doc.name}: {ref} does not resolve"
                obj = getattr(obj, attr)


def test_every_behavioural_parameter_has_its_calibration_recorded():
    text = (DOCS / "calibration.md").read_text()
    missing = [p.path for p in load_parameters() if p.kind == "behavioural" and f"`{p.path}`" not in text]
    assert not missing, f"docs/calibration.md does not say how these were chosen: {missing}"


def test_parameter_reference_is_generated_from_the_file():
    result = runner.invoke(app, ["params", "--markdown"])
    assert result.exit_code == 0
    assert (DOCS / "parameters.md").read_text() == result.output, (
        "regenerate: casim params --markdown > docs/parameters.md"
    )


def test_params_lists_every_parameter_and_searches():
    params = load_parameters()
    result = runner.invoke(app, ["params"])
    assert result.exit_code == 0
    assert f"{len(params)} parameter(s)" in result.output
    for p in params:
        assert p.path in result.output
    assert "0 parameter(s) matching" in runner.invoke(app, ["params", "--search", "Novorossiysk"]).output
    found = runner.invoke(app, ["params", "--search", "CPC route"])
    assert "channels.energy.share" in found.output and "citizens.per_state" not in found.output
    assert "[per quarter]" in runner.invoke(app, ["params", "--search", "substitution_rate"]).output


def test_readme_commands_exist_and_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = set(re.findall(r"^\| `casim (\w+)", readme, flags=re.MULTILINE))
    registered = {c.name or c.callback.__name__ for c in app.registered_commands}
    registered |= {g.name for g in app.registered_groups}
    assert commands and commands <= registered, commands - registered
    test_command = re.search(r"```bash\n(python3 -m pip install -e \"\.\[test\]\" && python3 -m pytest)\n```", readme)
    assert test_command, "README must give the test command"
    assert 'python -m pip install -e ".[test]" && python -m pytest' in (ROOT / ".ci" / "run").read_text()


def test_core_docstrings_name_their_equations():
    """Each submodel module opens with a docstring (the equations live there and in docs/model.md)."""
    for module in SUBMODELS:
        tree = ast.parse(Path(importlib.import_module(module).__file__).read_text())
        assert ast.get_docstring(tree), module


def test_readme_and_exercise_index_list_every_exercise():
    from casim.exercises import load_exercises

    readme = (ROOT / "README.md").read_text()
    index = (ROOT / "exercises" / "README.md").read_text()
    for ex in load_exercises(ROOT / "exercises"):
        scenarios = ", ".join(f"`{name}`" for name in ex.scenarios)
        assert f"| {ex.number} | {ex.title} | {scenarios} |" in readme, ex.title
        assert f"]({ex.path.name}) | {scenarios} |" in index, ex.path.name
    assert "![The classroom app" in readme and (ROOT / "docs" / "images" / "app.png").is_file()


def test_every_test_the_reliability_page_names_exists():
    text = (DOCS / "reliability.md").read_text()
    named = re.findall(r"`(tests/test_\w+\.py)(?:::(\w+))?`", text)
    assert len(named) >= 25
    for file, name in named:
        source = (ROOT / file).read_text()
        if name:
            assert re.search(rf"^def {name}\(", source, re.M), f"{file}::{name} does not exist"
