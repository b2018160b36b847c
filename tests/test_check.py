"""casim check: the baseline reproduces the sources' stylized facts across parameter uncertainty."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

import casim.check
from casim.cli import app
from casim.facts import FACTS, Fact

runner = CliRunner()


def test_at_least_twelve_sourced_facts_with_unique_ids():
    assert len(FACTS) >= 12
    assert len({f.id for f in FACTS}) == len(FACTS)
    for fact in FACTS:
        assert fact.statement and fact.target and fact.unit
        assert "002" in fact.source or "notes" in fact.source, fact.id
        assert 0 < fact.required <= 1


def test_every_fact_holds_with_parameters_drawn_from_their_ranges():
    result = runner.invoke(app, ["check", "--members", "40"])
    assert result.exit_code == 0, result.output
    assert f"all {len(FACTS)} facts hold" in result.output
    assert result.output.count("PASS") == len(FACTS)
    assert "drawing its parameters from their ranges" in result.output
    for fact in FACTS:
        assert fact.source in result.output.replace("\n", " ") or fact.source[:40] in result.output


def test_a_failing_fact_makes_the_check_fail(monkeypatch, tmp_path):
    impossible = Fact(
        "impossible",
        "Tajik remittances exceed all of GDP",
        "002 Russia section",
        "above 1",
        "fraction of GDP",
        (),
        lambda runs: np.zeros(next(iter(runs.values())).sizes["member"]),
        lambda v: v > 1,
    )
    monkeypatch.setattr(casim.check, "FACTS", (*FACTS[:2], impossible))
    out = tmp_path / "check.csv"
    result = runner.invoke(app, ["check", "--members", "5", "--csv", str(out)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "1 of 3 facts fail: impossible" in result.output
    assert "impossible" in out.read_text()
