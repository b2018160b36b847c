"""Parameters as data: declarations, provenance, overrides and per-member sampling."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from casim.errors import CasimError
from casim.model import CentralAsiaModel
from casim.parameters import Distribution, ParameterError, ParameterSet
from casim.paramfile import load_parameters
from casim.spec import RunSpec
from helpers import CORE


def test_every_parameter_has_unit_source_range_and_description(params):
    assert len(params) > 100
    for p in params:
        assert p.unit.strip() and p.source.strip() and p.description.strip(), p.path
        assert p.low.shape == p.value.shape == p.high.shape, p.path
        assert np.all(p.low <= p.value) and np.all(p.value <= p.high), p.path
        assert p.kind in ("data", "behavioural", "structural", "numerical"), p.path


def test_sampled_parameters_have_a_nondegenerate_range(params):
    """A data or behavioural parameter with an empty range would be a hidden constant."""
    for p in params:
        if p.sampled:
            assert np.any(p.high > p.low), f"{p.path} is sampled but its range is a single point"


def _paths_named_in_core() -> set[str]:
    """Every parameter path the core's source names as a string literal."""
    import ast
    import importlib

    from casim.names import CHANNELS

    found = set()
    for name in CORE:
        module = importlib.import_module(f"casim.{name}")
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", text) and text.split(".")[0] in GROUPS:
                    found.add(text)
    # channel_table() builds channels.<channel>.<field> from its field name.
    for table in ("size", "share", "substitutability"):
        found |= {f"channels.{c}.{table}" for c in CHANNELS}
    return found


GROUPS = {
    "country",
    "alignment",
    "channels",
    "flows",
    "exposure",
    "weaponisation",
    "powers",
    "regime",
    "threat",
    "economy",
    "citizens",
    "standards",
    "cooperation",
    "water",
}


def test_code_uses_only_declared_parameters_and_every_declared_one(params):
    """Provenance: no number in the code that the file does not declare, and no dead declaration."""
    named = _paths_named_in_core()
    declared = {p.path for p in params}
    assert named - declared == set(), "the code names parameters the file does not declare"
    assert declared - named == set(), "the file declares parameters the code never uses"


def test_a_run_reads_only_declared_parameters(params):
    model = CentralAsiaModel(RunSpec(params, horizon=2), members=2, seed=0)
    model.run()
    assert model.params.used <= {p.path for p in params}


def test_country_table_matches_the_study(params):
    gdp = dict(zip(["KZ", "KG", "TJ", "TM", "UZ"], params.value("country.gdp"), strict=True))
    assert gdp == {"KZ": 288, "KG": 17, "TJ": 14, "TM": 64, "UZ": 115}
    assert list(params.value("country.csto")) == [1, 1, 1, 0, 0]
    assert list(params.value("country.upstream")) == [0, 1, 1, 0, 0]


def test_element_paths_accept_codes_and_suggest(params):
    param, idx = params.split_path("channels.remittances.size.TJ")
    assert param.path == "channels.remittances.size" and idx == (2,)
    with pytest.raises(ParameterError) as err:
        params.split_path("channels.remitances.size")
    assert err.value.suggestion == "channels.remittances.size"
    with pytest.raises(ParameterError) as err:
        params.split_path("channels.remittances.size.Tajikstan")
    assert err.value.suggestion == "Tajikistan"


def test_overrides_change_values_and_respect_bounds(params):
    changed = params.with_overrides({"channels.remittances.size.Tajikistan": 0.3, "alignment.adjustment": 0.2})
    assert changed.value("channels.remittances.size")[2] == pytest.approx(0.3)
    assert params.value("channels.remittances.size")[2] == pytest.approx(0.48), "the original is unchanged"
    with pytest.raises(ParameterError, match="outside the bounds"):
        params.with_overrides({"alignment.adjustment": 3.0})


def test_sampling_stays_in_range_and_is_per_member(params):
    a = params.resolve(list(range(6)), seed=4, sample_ranges=True)
    b = params.resolve([3, 5], seed=4, sample_ranges=True)
    for p in params:
        arr = a[p.path]
        if p.sampled:
            assert arr.shape[0] == 6
            assert np.all(arr >= p.low.astype(np.float32) - 1e-6) and np.all(arr <= p.high.astype(np.float32) + 1e-6)
            np.testing.assert_array_equal(arr[[3, 5]], b[p.path])
    assert not np.array_equal(a["alignment.adjustment"][0], a["alignment.adjustment"][1])


def test_uncertain_distributions(params):
    dists = {
        "alignment.adjustment": Distribution("uniform", low=0.1, high=0.2),
        "channels.remittances.size.Tajikistan": Distribution("normal", mean=0.48, sd=0.02),
        "flows.benefit_weight": Distribution("scale", low=0.5, high=1.5),
        "citizens.adaptation": Distribution("triangular", low=0.1, mode=0.15, high=0.3),
    }
    arr = params.resolve(list(range(200)), seed=1, uncertain=dists)
    adj = arr["alignment.adjustment"][:, 0] if arr["alignment.adjustment"].ndim > 1 else arr["alignment.adjustment"]
    assert adj.min() >= 0.1 and adj.max() <= 0.2
    tj = arr["channels.remittances.size"][:, 2]
    assert abs(float(np.mean(tj)) - 0.48) < 0.01
    assert np.all(arr["channels.remittances.size"][:, 0] == np.float32(0.002)), "other elements keep their value"
    ratio = arr["flows.benefit_weight"] / params.value("flows.benefit_weight").astype(np.float32)
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-5), "a scale draw multiplies the whole table by one factor"


def test_declaration_errors_are_specific():
    base = {"unit": "u", "source": "s", "description": "d", "kind": "behavioural", "range": [0, 1]}
    with pytest.raises(ParameterError, match="missing field"):
        ParameterSet.from_mapping({"parameters": {"a": {"value": 1}}})
    with pytest.raises(ParameterError, match="outside its own uncertainty range"):
        ParameterSet.from_mapping({"parameters": {"a": {**base, "value": 2}}})
    with pytest.raises(ParameterError) as err:
        ParameterSet.from_mapping({"parameters": {"a": {**base, "value": {"Kazakhstn": 1}, "dims": ["state"]}}})
    assert err.value.suggestion == "Kazakhstan"
    with pytest.raises(ParameterError, match="no value for state"):
        ParameterSet.from_mapping({"parameters": {"a": {**base, "value": {"Kazakhstan": 0.5}, "dims": ["state"]}}})


def test_parameter_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("version: x\nparameters:\n  g:\n    a:\n      value: 1\n      unit: u\n")
    with pytest.raises(CasimError) as err:
        load_parameters(bad)
    assert "params.yaml:5" in str(err.value) and "missing field" in str(err.value)
