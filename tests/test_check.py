"""casim check: sourced two-sided facts that the model passes and broken models fail."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from typer.testing import CliRunner

import casim.check
from casim.check import NULL_MODELS, episode_runs, evaluate, run_check
from casim.cli import app
from casim.facts import FACTS, KINDS, Fact

runner = CliRunner()


def _settings(overrides: dict[str, float]) -> list[str]:
    return [arg for path, value in overrides.items() for arg in ("--set", f"{path}={value}")]


def test_every_fact_is_sourced_two_sided_and_reasoned():
    assert len({f.id for f in FACTS}) == len(FACTS) >= 20
    for fact in FACTS:
        assert fact.statement and fact.target and fact.unit and fact.kind in KINDS, fact.id
        assert any(tag in fact.source for tag in ("002", "notes", "external", "001")), fact.id
        assert fact.low <= fact.high and np.isfinite([fact.low, fact.high]).all(), fact.id
        sides = ("lower" in fact.reason and "upper" in fact.reason) or fact.low == fact.high
        assert sides and len(fact.reason) > 40, f"{fact.id}: say why each bound is where it is"
        assert 0 < fact.required <= 1


def test_at_least_six_facts_test_responses_to_documented_episodes():
    episodes = [f for f in FACTS if f.kind == "episode"]
    assert len(episodes) >= 6
    replays = {name for f in episodes for name in f.needs}
    assert {"ruble_crisis", "csto_crisis", "episodes/crocus_backlash_2024", "episodes/kazakhstan_2022"} <= replays


@functools.cache
def _frozen_runs(members: int = 8) -> dict:
    """Every episode run with every quarter replaced by the start: a model that never moves."""
    runs = {}
    for name, paired in episode_runs(members, 5, sample_ranges=False).items():
        frozen = {
            k: np.broadcast_to(v.isel(quarter=[0]), v.shape).copy()
            for k, v in paired.data_vars.items()
            if "quarter" in v.dims
        }
        runs[name] = paired.copy(
            data={**frozen, **{k: v for k, v in paired.data_vars.items() if "quarter" not in v.dims}}
        )
    return runs


def test_no_fact_can_be_passed_by_reading_the_start_alone():
    """A model frozen at its (calibrated) start fails every fact about change; what it passes are the
    persistence sides of two-sided facts, never more than a quarter of them."""
    results = evaluate(FACTS, _frozen_runs())
    held = [r.fact.id for r in results if r.passed]
    assert len(held) <= len(FACTS) // 4, held
    for r in results:
        if r.fact.kind == "episode" and (r.fact.low > 0 or r.fact.high < 0):
            assert not r.passed, f"{r.fact.id} passes without any response"


def test_default_model_passes_every_fact_with_parameters_drawn_from_their_ranges():
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert f"all {len(FACTS)} facts hold" in result.output
    assert result.output.count("PASS") == len(FACTS)
    assert "drawing its parameters from their ranges" in result.output
    assert result.output.count("bounds:") == len(FACTS)


@pytest.mark.parametrize("null", sorted(NULL_MODELS))
def test_each_null_model_fails_at_least_three_facts(null):
    result = runner.invoke(app, ["check", "--fixed", "--members", "20", *_settings(NULL_MODELS[null])])
    assert result.exit_code == 1, result.output
    assert result.output.count("FAIL") >= 3, (null, result.output[-400:])
    assert "pinned: " in result.output


def test_fixed_model_passes_every_fact():
    results = run_check(members=20, sample_ranges=False)
    assert [r.fact.id for r in results if not r.passed] == []


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("alignment.adjustmnt=0", "did you mean 'alignment.adjustment'"),
        ("alignment.adjustment", "expected PATH=VALUE"),
        ("alignment.adjustment=fast", "expected a number"),
        ("alignment.adjustment=7", "outside the bounds"),
    ],
)
def test_set_rejects_bad_input_with_one_clear_line(item, message):
    result = runner.invoke(app, ["check", "--members", "2", "--set", item])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_failing_fact_makes_the_check_fail(monkeypatch, tmp_path):
    impossible = Fact(
        "impossible",
        "Tajik remittances exceed all of GDP",
        "002 Russia section",
        "above 1",
        "fraction of GDP",
        (),
        lambda runs: np.zeros(next(iter(runs.values())).sizes["member"]),
        1.0,
        2.0,
        "lower: more than all of GDP; upper: twice it",
    )
    monkeypatch.setattr(casim.check, "FACTS", (*FACTS[:2], impossible))
    out = tmp_path / "check.csv"
    result = runner.invoke(app, ["check", "--members", "5", "--csv", str(out)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "1 of 3 facts fail: impossible" in result.output
    text = out.read_text()
    assert "impossible" in text and "reason" in text.splitlines()[0] and "low" in text.splitlines()[0]


def test_a_fact_counts_only_members_where_it_applies():
    fact = Fact("f", "s", "002", "t", "u", (), lambda runs: None, 0.0, 1.0, "lower: x; upper: y")
    values = np.array([[0.5, 0.2], [np.nan, 0.5], [2.0, 0.5]])
    np.testing.assert_array_equal(fact.applicable(values), [True, False, True])
    np.testing.assert_array_equal(fact.holds(values), [True, False, False])
