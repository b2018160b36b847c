"""Property tests: any document is either a valid scenario or a located CasimError, never a crash."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casim.errors import CasimError
from casim.interventions import TARGETS
from casim.names import CHANNELS, POWERS, SEGMENTS, STATES
from casim.scenario import Change, Event, RandomEvent, Scenario, UncertainSpec, loads_scenario

LIBRARY = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in LIBRARY]
DOCS = [yaml.safe_load(t) for t in TEXTS]
WORDS = sorted(
    set(Scenario.model_fields)
    | set(Event.model_fields)
    | set(RandomEvent.model_fields)
    | set(UncertainSpec.model_fields)
    | set(Change.model_fields)
    | set(TARGETS)
    | set(CHANNELS)
    | set(POWERS)
    | set(STATES)
    | set(SEGMENTS)
    | {
        "multiply",
        "add",
        "set",
        "permanent",
        "2026Q3",
        "2040Q1",
        "uniform",
        "normal",
        "alignment.adjustment",
        "channels.remittances.size.Tajikistan",
        "nope",
    }
)


def fuzz_settings(examples: int) -> settings:
    """Derandomised (reproducible in CI), no deadline, many examples."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)),
    max_leaves=12,
)


def check(text: str) -> None:
    """The property: a Scenario, or a CasimError whose every issue has a line and a message."""
    try:
        scenario = loads_scenario(text, "fuzz.yaml")
    except CasimError as error:
        assert error.issues
        for issue in error.issues:
            assert issue.line >= 1, str(issue)
            assert issue.message.strip()
            assert f"fuzz.yaml:{issue.line}:" in str(issue)
    else:
        assert isinstance(scenario, Scenario)
        scenario.to_runspec()  # a valid scenario always compiles


@fuzz_settings(600)
@given(st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), values, max_size=8))
def test_random_documents(doc):
    check(yaml.safe_dump(doc, allow_unicode=True))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, sub in node.items():
            yield from _paths(sub, (*prefix, key))
    elif isinstance(node, list):
        for k, sub in enumerate(node):
            yield from _paths(sub, (*prefix, k))


@fuzz_settings(1200)
@given(st.sampled_from(range(len(DOCS))), st.data())
def test_structurally_mutated_library_scenarios(which, data):
    doc = copy.deepcopy(DOCS[which])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["delete", "replace", "rename"]))
        key = path[-1]
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = data.draw(values)
        elif isinstance(parent, dict):
            new = data.draw(st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=10)))
            if new not in parent:
                parent[new] = parent.pop(key)
    check(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@fuzz_settings(1200)
@given(st.sampled_from(range(len(TEXTS))), st.data())
def test_textually_mutated_library_scenarios(which, data):
    lines = TEXTS[which].splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        k = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "word", "chars", "truncate"]))
        if action == "delete":
            del lines[k]
        elif action == "duplicate":
            lines.insert(k, lines[k])
        elif action == "indent":
            lines[k] = "  " + lines[k]
        elif action == "dedent":
            lines[k] = lines[k][2:]
        elif action == "word":
            words = lines[k].split(" ")
            j = data.draw(st.integers(0, len(words) - 1))
            words[j] = data.draw(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)))
            lines[k] = " ".join(words)
        elif action == "chars":
            j = data.draw(st.integers(0, len(lines[k])))
            lines[k] = lines[k][:j] + data.draw(st.text(max_size=4)) + lines[k][j:]
        else:
            lines = lines[:k]
    check("\n".join(lines) + "\n")
