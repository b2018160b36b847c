"""Scenario files: validation with located errors, compilation, the schema, and the library."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from casim.errors import CasimError
from casim.scenario import load_scenario, loads_scenario, scenario_schema
from helpers import short_scenario

LIBRARY = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(LIBRARY.glob("*.yaml"))
MINIMAL = "name: t\ndescription: a test\nhorizon: 8\n"


def _errors(text: str) -> CasimError:
    with pytest.raises(CasimError) as info:
        loads_scenario(text, "s.yaml")
    return info.value


def test_the_library_holds_the_scenarios_the_study_asks_for():
    names = {f.stem for f in FILES}
    assert {
        "baseline",
        "remittance_shock",
        "eu_vocational_push",
        "cpc_disruption",
        "luban_expansion",
        "middle_corridor",
        "middle_corridor_cofinancing",
        "eu_values_first",
        "sanctions_enforcement",
        "water_stress",
        "wheat_ban",
        "csto_crisis",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_library_scenario_validates_and_cites_sources(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert len(scenario.description) > 80
    assert scenario.sources, "every scenario says where its story comes from"
    spec = scenario.to_runspec()
    assert len(spec.interventions) == len(scenario.events) + len(scenario.random_events)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_library_scenario_matches_the_json_schema(path):
    jsonschema.validate(yaml.safe_load(path.read_text()), scenario_schema())


def test_schema_is_json_with_every_field():
    schema = json.loads(json.dumps(scenario_schema()))
    assert {"name", "description", "events", "random_events", "uncertain", "parameters"} <= set(schema["properties"])
    event = schema["$defs"]["Event"]["properties"]
    assert "remittances" in event["channels"]["anyOf"][1]["items"]["enum"]


def test_unknown_field_names_line_and_suggests():
    err = _errors(MINIMAL + "membrs: 5\n")
    issue = err.issues[0]
    assert (issue.file, issue.line, issue.field, issue.suggestion) == ("s.yaml", 4, "membrs", "members")
    assert "unknown field" in issue.message and "s.yaml:4:1" in str(err)


def test_misspelt_channel_power_state_and_segment_are_located_with_suggestions():
    text = MINIMAL + (
        "events:\n"
        "  - at: 2\n"
        "    variable: flow\n"
        "    channels: remitances\n"
        "    powers: [Rusia]\n"
        "    states: [Tajikstan]\n"
        "    op: multiply\n"
        "    value: 0.5\n"
        "  - at: 2\n"
        "    variable: opinion_shift\n"
        "    segments: [migrnt_household]\n"
        "    op: add\n"
        "    value: -0.1\n"
    )
    issues = {i.field: i for i in _errors(text).issues}
    assert issues["events[0].channels[0]"].suggestion == "remittances"
    assert issues["events[0].channels[0]"].line == 7
    assert "'remitances' is not a channel" in issues["events[0].channels[0]"].message
    assert issues["events[0].powers[0]"].suggestion == "Russia"
    assert issues["events[0].states[0]"].suggestion == "Tajikistan"
    assert issues["events[1].segments[0]"].suggestion == "migrant_household"


def test_wrong_types_ops_and_times_are_explained():
    text = MINIMAL + "events:\n  - at: 2040Q1\n    variable: crisis\n    op: scale\n    value: x\n"
    messages = " | ".join(str(i) for i in _errors(text).issues)
    assert "expected 'multiply', 'add' or 'set'" in messages
    assert "valid number" in messages
    text = MINIMAL + "events:\n  - at: 2040Q1\n    variable: crisis\n    op: add\n    value: 0.1\n"
    issue = _errors(text).issues[0]
    assert issue.field == "events[0].at" and issue.line == 5 and "must fall between 2026Q2 and 2028Q1" in issue.message


def test_selectors_must_fit_the_variable_and_variables_are_suggested():
    text = MINIMAL + "events:\n  - at: 2\n    variable: backlash\n    channels: energy\n    op: set\n    value: 1\n"
    assert "has no channel dimension" in _errors(text).issues[0].message
    text = MINIMAL + "events:\n  - at: 2\n    variable: flows\n    op: set\n    value: 1\n"
    assert _errors(text).issues[0].suggestion == "flow"


def test_parameters_are_checked_against_the_parameter_file():
    issues = _errors(MINIMAL + "parameters:\n  alignment.adjustmnt: 0.2\n  country.growth.Kazakhstan: abc\n").issues
    assert issues[0].suggestion == "alignment.adjustment" and issues[0].line == 5
    assert "finite number" in issues[1].message and issues[1].line == 6
    issue = _errors(
        MINIMAL + "events:\n  - at: 2\n    parameter: alignment.initial\n    op: set\n    value: 0.1\n"
    ).issues[0]
    assert "only sets the start state" in issue.message
    issue = _errors(MINIMAL + "uncertain:\n  citizens.per_state: {dist: uniform, low: 100, high: 200}\n").issues[0]
    assert "cannot vary between members" in issue.message


def test_distributions_need_their_fields():
    issue = _errors(MINIMAL + "uncertain:\n  alignment.adjustment: {dist: normal, mean: 0.1}\n").issues[0]
    assert "needs mean, sd" in issue.message and issue.line == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("name: [unclosed\n", "YAML syntax"),
        ("name: !!python/object/apply:os.system ['echo hi']\n", "not allowed"),
        ("name: a\nname: b\ndescription: d\n", "appears twice"),
        (MINIMAL + "members: .inf\n", "finite"),
        ("a: &x [*x]\n", "recursive"),
    ],
)
def test_bad_documents_are_rejected_with_a_line(text, expected):
    err = _errors(text)
    assert expected in str(err)
    assert all(i.line >= 1 for i in err.issues)


def test_compilation_times_selectors_and_cases(params):
    text = MINIMAL + (
        "start: 2027Q2\n"
        "assumptions:\n  alignment.adjustment: 0.1\n"
        "parameters:\n  regime.recovery: 0.2\n"
        "events:\n"
        "  - {at: 2027Q4, ramp: 2, duration: 3, variable: flow, channels: remittance, powers: ru, states: tj, op: multiply, value: 0.5}\n"
        "random_events:\n"
        "  - {probability: 0.1, window: [2, 5], variable: crisis, states: KG, op: add, value: 0.1, max_occurrences: 1}\n"
    )
    scn = loads_scenario(text)
    spec = scn.to_runspec()
    timed, random = spec.interventions
    assert (timed.start, timed.ramp, timed.duration) == (2, 2, 3)
    assert (timed.channels, timed.powers, timed.states) == (("remittances",), ("Russia",), ("Tajikistan",))
    assert random.probability == 0.1 and random.window == (2, 5) and random.max_occurrences == 1
    assert spec.params.value("alignment.adjustment") == pytest.approx(0.1)
    assert spec.params.value("regime.recovery") == pytest.approx(0.2)
    base = scn.baseline_runspec()
    assert base.interventions == ()
    assert base.params.value("alignment.adjustment") == pytest.approx(0.1), "assumptions apply to the baseline"
    assert base.params.value("regime.recovery") == pytest.approx(params.value("regime.recovery"))
    resolved = scn.to_yaml_dict()
    assert resolved["events"][0]["states"] == ["Tajikistan"] and resolved["members"] == 100


def test_simulate_uses_the_files_members_and_seed_unless_given(tmp_path):
    """``casim.simulate(path)`` runs what the file asks for; arguments override it."""
    import casim

    path = short_scenario(tmp_path, horizon=2)
    path.write_text(path.read_text().replace("members: 100", "members: 3").replace("seed: 2026", "seed: 5"))
    scenario = load_scenario(path)
    assert (scenario.members, scenario.seed) == (3, 5)
    ds = casim.simulate(path)
    assert ds.sizes["member"] == 3 and ds.attrs["seed"] == 5
    same = casim.simulate(scenario, members=3, seed=5)
    np.testing.assert_array_equal(ds.alignment.values, same.alignment.values)
    other = casim.simulate(path, members=2, seed=6)
    assert other.sizes["member"] == 2 and other.attrs["seed"] == 6
    with pytest.raises(TypeError, match="cannot simulate a dict"):
        casim.simulate({"name": "x"})
