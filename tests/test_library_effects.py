"""Every library scenario runs, and its main effect goes the way the 2026 study argues.

Each scenario is run against its paired baseline on the same 12 members (common random
numbers); effects are medians of member-by-member differences, and most also require the
sign to hold in nearly every member.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from casim.results import difference
from casim.runner import simulate_pair
from casim.scenario import load_scenario

LIBRARY = Path(__file__).resolve().parents[1] / "scenarios"


@functools.cache
def run(name: str):
    paired = simulate_pair(load_scenario(LIBRARY / f"{name}.yaml"), members=12, seed=1).paired
    return paired, difference(paired)


def med(da, **sel):
    return float(da.sel(**sel).median("member")) if sel else float(da.median("member"))


def share_below(da, threshold=0.0):
    return float((da < threshold).mean())


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_runs_on_a_small_ensemble(path):
    paired, _ = run(path.stem)
    assert paired.sizes["member"] == 12 and paired.sizes["quarter"] == 41
    assert paired.alignment.notnull().all()


def test_baseline_against_itself_changes_nothing():
    _, diff = run("baseline")
    assert float(abs(diff.alignment).max()) == 0.0


def test_remittance_shock():
    paired, diff = run("remittance_shock")
    gdp = diff.gdp_index.isel(quarter=6)
    assert med(gdp, state="Tajikistan") < med(gdp, state="Kyrgyzstan") < med(gdp, state="Uzbekistan") < 0
    for state in ("Tajikistan", "Kyrgyzstan", "Uzbekistan"):
        fav = diff.favourability.sel(state=state, power="Russia").isel(quarter=8)
        assert med(fav) < -0.05 and share_below(fav) == 1.0, state
        migrants = diff.segment_favourability.sel(state=state, power="Russia", segment="migrant_household")
        assert med(migrants.isel(quarter=8)) < med(fav), "migrant households turn against Russia most"
        align = paired.alignment.sel(state=state, pole="Russia").isel(quarter=slice(1, None))
        ratio = (align.sel(case="scenario") / align.sel(case="baseline")).median("member")
        assert float(ratio.min()) < 0.99, "alignment toward Russia dips"
        assert float(ratio.min()) > 0.7, "but does not collapse: hard leverage persists"


def test_eu_vocational_push():
    _, diff = run("eu_vocational_push")
    for state in ("Kazakhstan", "Uzbekistan", "Kyrgyzstan"):
        assert med(diff.standards.sel(state=state, power="EU").isel(quarter=-1)) > 0.002, state
        youth = diff.segment_favourability.sel(state=state, power="EU", segment="youth").isel(quarter=-1)
        assert med(youth) > 0.01, state
    for state in ("Kazakhstan", "Uzbekistan"):
        eu = diff.alignment.sel(state=state, pole="EU").isel(quarter=-1)
        assert med(eu) > 0 and share_below(eu) <= 0.1, state
    assert med(diff.flow.sel(state="Uzbekistan", power="EU", channel="remittances").isel(quarter=-1)) > 0.005


def test_cpc_disruption():
    _, diff = run("cpc_disruption")
    assert med(diff.gdp_index.sel(state="Kazakhstan").isel(quarter=4)) < -0.02
    assert med(diff.threat.sel(state="Kazakhstan", power="Russia").isel(quarter=4)) > 0.05
    russia = diff.alignment.sel(pole="Russia").isel(quarter=6).median("member")
    assert float(russia.sel(state="Kazakhstan")) < 0 and str(russia.idxmin("state").item()) == "Kazakhstan"


def test_luban_expansion():
    _, diff = run("luban_expansion")
    assert float(diff.standards.sel(power="China").isel(quarter=-1).median("member").min()) > 0.003
    assert med(diff.soft_power.sel(power="China").isel(quarter=-1)) > 0.01
    china = diff.alignment.sel(pole="China").isel(quarter=-1).median("member")
    assert float(china.min()) > 0


def test_middle_corridor_and_its_cofinancing_variant():
    _, plain = run("middle_corridor")
    _, cofin = run("middle_corridor_cofinancing")
    assert med(plain.alignment.sel(state="Kazakhstan", pole="EU").isel(quarter=-1)) > 0.003
    assert med(plain.leverage.sel(state="Kazakhstan", power="Russia", channel="energy").isel(quarter=-1)) < 0
    gain_plain = med(plain.gdp_index.sel(state="Kazakhstan").isel(quarter=-1))
    gain_cofin = med(cofin.gdp_index.sel(state="Kazakhstan").isel(quarter=-1))
    assert 0 < gain_plain < gain_cofin, "coordinated investment carries more"
    for state in ("Uzbekistan", "Turkmenistan"):
        assert med(cofin.alignment.sel(state=state, pole="China").isel(quarter=-1)) > 0, state


def test_eu_values_first():
    _, diff = run("eu_values_first")
    assert med(diff.credibility.sel(power="EU").isel(quarter=-1)) > 0.05
    soft = diff.soft_power.sel(power="EU").isel(quarter=-1)
    assert med(soft) > 0.02 and share_below(soft) == 0.0


def test_sanctions_enforcement():
    _, diff = run("sanctions_enforcement")
    assert med(diff.gdp_index.sel(state="Kyrgyzstan").isel(quarter=6)) < -0.005
    for power in ("EU", "US"):
        assert med(diff.soft_power.sel(power=power).isel(quarter=6)) < 0, power
    assert med(diff.alignment.sel(state="Kazakhstan", pole="EU").isel(quarter=6)) < 0


def test_water_stress_and_eu_cooperation():
    _, dry = run("water_stress")
    _, helped = run("water_stress_eu_cooperation")
    coop_dry = med(dry.regional_cooperation.isel(quarter=-1))
    coop_helped = med(helped.regional_cooperation.isel(quarter=-1))
    assert coop_dry < coop_helped < 0
    for state in ("Uzbekistan", "Tajikistan"):
        loss_dry = med(dry.gdp_index.sel(state=state).isel(quarter=-1))
        loss_helped = med(helped.gdp_index.sel(state=state).isel(quarter=-1))
        assert loss_dry < loss_helped < 0, state


def test_wheat_ban():
    _, diff = run("wheat_ban")
    rural = diff.segment_favourability.sel(state="Kazakhstan", power="Russia", segment="rural").isel(quarter=4)
    assert med(rural) < 0 and share_below(rural) == 1.0
    assert med(diff.threat.sel(state="Kazakhstan", power="Russia").isel(quarter=3)) > 0.02
    assert med(diff.alignment.sel(state="Kazakhstan", pole="Russia").isel(quarter=6)) < 0


def test_csto_crisis():
    paired, diff = run("csto_crisis")
    guaranteed = paired.guarantee.sel(case="scenario", state="Kazakhstan").max("quarter")
    assert float(guaranteed.sel(power="Russia").mean()) >= 0.75, "Russia steps in as guarantor"
    assert med(diff.alignment.sel(state="Kazakhstan", pole="Russia").isel(quarter=6)) > 0.005
    stability = paired.regime_stability.sel(case="scenario", state="Kazakhstan")
    assert med(stability.isel(quarter=3)) < 0.45 < med(stability.isel(quarter=12))
