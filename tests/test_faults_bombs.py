"""Hostile YAML: alias bombs, self-reference, deep nesting, huge values (issue 11, item 2).

Limits are checked on the parsed node graph before any Python object is built, so each
file is refused in well under a second, and messages never echo a huge value.
"""

from __future__ import annotations

import time

import pytest

from casim.errors import CasimError
from casim.scenario import loads_scenario
from casim.yamlsrc import MAX_NODES, loads_yaml
from helpers import assert_clean, invoke


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """The classic alias bomb: each level repeats the one below ``width`` times."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    lines.append(f"name: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_without_echoing_it(tmp_path):
    text = billion_laughs()
    assert len(text) < 800  # a tiny file that expands to 10**9 values
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    start = time.perf_counter()
    result = invoke("validate", path)
    assert time.perf_counter() - start < 2
    assert_clean(result, 2, f"more than {MAX_NODES:,} values")
    assert len(result.output) < 1000


def test_a_moderate_alias_use_is_still_allowed():
    text = "defaults: &d {op: multiply, value: 0.8, at: 2, variable: flow}\nname: x\nlist: [*d, *d, *d]\n"
    assert loads_yaml(text)["list"][2]["value"] == 0.8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1, *a]\n", "refers to itself"),
        ("a: " + "[" * 80 + "]" * 80 + "\n", "nested more than"),
        ("name: x\n" + "k: " + "x" * 2_100_000 + "\n", "file too large"),
    ],
    ids=["recursive", "deep", "huge"],
)
def test_hostile_documents_get_one_located_message(text, message):
    start = time.perf_counter()
    with pytest.raises(CasimError) as caught:
        loads_scenario(text, "hostile.yaml")
    assert message in str(caught.value) and "hostile.yaml" in str(caught.value)
    assert time.perf_counter() - start < 2


def test_a_huge_value_is_never_echoed_in_full():
    huge = "x" * 200_000
    for text in (
        f"name: {huge}\ndescription: d\n",  # structural: pattern and length
        f"name: ok\ndescription: d\nevents:\n  - variable: flow\n    op: multiply\n    value: 0.5\n"
        f"    at: 2\n    channels: [{huge}]\n",  # meaning: an unknown channel
        f"name: ok\ndescription: d\n{huge}: 1\n",  # an unknown key
    ):
        with pytest.raises(CasimError) as caught:
            loads_scenario(text, "long.yaml")
        assert len(str(caught.value)) < 2000
