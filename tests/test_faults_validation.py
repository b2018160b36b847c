"""Validation reports every problem of a file in one pass (issue 11, item 8), and refuses
values no target can mean (item 3)."""

from __future__ import annotations

import pytest

from casim.errors import CasimError
from casim.scenario import loads_scenario
from helpers import assert_clean, invoke

SIX_MISTAKES = """\
name: six mistakes
description: a file with structural and semantic problems together
horizon: 12
start: 2026Q5
colour: blue
parameters:
  alignment.adjustmnet: 0.2
events:
  - variable: flow
    op: multiply
    value: 0.5
    at: 2026Q3
    channels: [remitances]
  - variable: flow
    op: divide
    value: 2
    at: 3
  - variable: crisis
    op: add
    value: 0.2
    at: 2031Q1
"""


def test_six_mistakes_of_both_kinds_are_reported_in_one_pass(tmp_path):
    with pytest.raises(CasimError) as caught:
        loads_scenario(SIX_MISTAKES, "six.yaml")
    fields = [issue.field for issue in caught.value.issues]
    assert fields == [
        "name",
        "start",
        "colour",
        "parameters.alignment.adjustmnet",
        "events[0].channels[0]",
        "events[1].op",
        "events[2].at",
    ]
    by_field = {issue.field: issue for issue in caught.value.issues}
    assert by_field["events[0].channels[0]"].suggestion == "remittances"
    assert by_field["parameters.alignment.adjustmnet"].suggestion == "alignment.adjustment"
    assert [issue.line for issue in caught.value.issues] == sorted(issue.line for issue in caught.value.issues)
    path = tmp_path / "six.yaml"
    path.write_text(SIX_MISTAKES)
    result = invoke("validate", path)
    assert_clean(result, 2)
    assert sum(line.startswith("error") for line in result.output.splitlines()) == 7


EVENT = "name: x\ndescription: d\nhorizon: 8\nevents:\n  - {{variable: {variable}, op: {op}, value: {value}, at: 2{more}}}\n"


@pytest.mark.parametrize(
    ("variable", "op", "value", "more", "message"),
    [
        ("anchor", "set", 0, "", "empties the doctrine anchor"),
        ("anchor", "multiply", 0, ", powers: [Russia, China, EU, US, Turkey, autonomy]", "empties the doctrine"),
        ("flow", "set", 1000, "", "can only be set within [0, 2]"),
        ("flow", "multiply", 1000, "", "a factor must lie between 0 and 10"),
        ("flow", "multiply", -1, "", "a factor must lie between 0 and 10"),
        ("crisis", "add", 5, "", "cannot mean anything"),
        ("water", "set", -1, "", "can only be set within [0, 2]"),
    ],
)
def test_values_no_target_can_mean_are_refused(variable, op, value, more, message):
    with pytest.raises(CasimError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loads_scenario(EVENT.format(variable=variable, op=op, value=value, more=more))


@pytest.mark.parametrize(
    ("variable", "op", "value", "more"),
    [
        ("anchor", "set", 0, ", powers: [Russia]"),  # a doctrine without Russia is meaningful
        ("flow", "set", 1.5, ""),
        ("flow", "multiply", 0, ""),  # a full cut
        ("crisis", "add", 0.5, ""),
    ],
)
def test_meaningful_values_pass(variable, op, value, more):
    loads_scenario(EVENT.format(variable=variable, op=op, value=value, more=more))
