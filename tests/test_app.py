"""The classroom app's logic and how it is served (the browser test drives the page itself)."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from typer.testing import CliRunner

from casim.appserver import ENV_SCENARIO, assets_dir, command, environment, free_port
from casim.cli import app
from casim.experiment import run_experiment
from casim.names import CHANNELS
from casim.paramfile import load_parameters
from casim.scenario import load_scenario
from helpers import LIBRARY, short_scenario

pytestmark = pytest.mark.xdist_group("app")  # one worker: the module's shared run

runner = CliRunner()


@pytest.fixture(scope="module")
def casim_app():
    """The app module (imports Solara; loads the scenario library)."""
    import casim.app

    return casim.app


def test_app_offers_the_whole_library(casim_app):
    names = set(casim_app.library())
    assert {p.stem for p in LIBRARY.glob("*.yaml")} <= names
    assert casim_app.DEFAULT in names


def test_size_lever_scales_each_event_from_no_change(casim_app):
    scenario = load_scenario(LIBRARY / "remittance_shock.yaml")
    half = casim_app.with_levers(scenario, 0.5, 0, 20)
    for old, new in zip(scenario.events, half.events, strict=True):
        if old.op == "multiply":
            assert new.value == pytest.approx(1 + 0.5 * (old.value - 1))
        elif old.variable == "weaponised":
            # weaponising at half strength cuts half the share of the flow
            assert new.value == pytest.approx(0.5 * old.value)
        else:
            assert new.value == pytest.approx(0.5 * old.value)
    assert "weaponisation.severity.remittances" not in half.parameters, "below 1 the severity is not pinned"
    double = casim_app.with_levers(scenario, 2.0, 0, 20)
    severity = load_parameters().params["weaponisation.severity"].value[CHANNELS.index("remittances")]
    assert double.parameters["weaponisation.severity.remittances"] == pytest.approx(2.0 * severity)
    assert [e.value for e in double.events if e.variable == "weaponised"] == [1.0]
    assert half.members == 20


def test_size_one_is_the_scenario_as_written_and_bigger_is_stronger(casim_app, tmp_path):
    scenario = load_scenario(short_scenario(tmp_path, horizon=12)).model_copy(update={"members": 4})
    as_written = run_experiment(scenario, executor="serial").paired
    same = run_experiment(casim_app.with_levers(scenario, 1.0, 0, 4), executor="serial").paired
    np.testing.assert_array_equal(as_written.alignment.values, same.alignment.values)
    dips = []
    for size in (0.5, 1.0, 2.0):
        paired = run_experiment(casim_app.with_levers(scenario, size, 0, 4), executor="serial").paired
        gdp = paired.gdp_index.sel(state="Tajikistan")
        dips.append(float((gdp.sel(case="scenario") - gdp.sel(case="baseline")).median("member").min()))
    assert dips[0] > dips[1] > dips[2] and dips[2] < 1.6 * dips[1]


@pytest.mark.parametrize("name", sorted(p.stem for p in LIBRARY.glob("*.yaml")))
def test_every_library_scenario_runs_with_the_levers_at_their_limits(casim_app, name):
    scenario = load_scenario(LIBRARY / f"{name}.yaml")
    for size, delay in ((2.0, 12), (0.0, 0)):
        paired = run_experiment(casim_app.with_levers(scenario, size, delay, 2), executor="serial").paired
        assert np.isfinite(paired.alignment.values).all()


def test_size_zero_gives_the_baseline_and_delay_moves_events(casim_app, tmp_path):
    scenario = load_scenario(short_scenario(tmp_path, horizon=12))
    paired = run_experiment(casim_app.with_levers(scenario, 0.0, 0, 4), executor="serial").paired
    np.testing.assert_array_equal(
        paired.alignment.sel(case="scenario").values, paired.alignment.sel(case="baseline").values
    )
    late = casim_app.with_levers(scenario, 1.0, 3, 4)
    for old, new in zip(scenario.events, late.events, strict=True):
        assert late.quarter_index(new.at) == min(scenario.quarter_index(old.at) + 3, scenario.horizon)


def test_key_numbers_show_the_crackdown_pulling_tajikistan_from_russia(casim_app, tmp_path):
    scenario = load_scenario(short_scenario(tmp_path, horizon=12))
    paired = run_experiment(casim_app.with_levers(scenario, 1.0, 0, 6), executor="serial").paired
    table = casim_app.key_numbers(paired, "Tajikistan")
    russia = table[table.index("<td>Russia</td>") :].split("</tr>")[0]
    at_peak = float(russia.split("<td>")[2].split("</td>")[0])
    assert at_peak < -0.01
    assert "GDP at" in table and "% against the baseline" in table
    fig = casim_app.alignment_figure(paired, "Tajikistan", "test")
    levels, change = fig.axes[:2]
    assert levels.get_title() == "Tajikistan: test" and "change versus the baseline" in change.get_title()
    # the change panel is scaled to the change (not to the levels' 0-0.4), and the events are shaded
    low, high = change.get_ylim()
    assert high - low < 0.2 and low < -0.01
    assert any(patch.get_x() == paired["year"].values[0] for patch in change.patches)


@pytest.mark.parametrize(
    ("name", "state"),
    [("remittance_shock", "Tajikistan"), ("cpc_disruption", "Kazakhstan"), ("eu_vocational_push", "Uzbekistan")],
)
def test_the_state_shown_first_is_the_scenarios_main_target(casim_app, name, state):
    assert casim_app.scenarios[name].main_state() == state
    casim_app.state.set("Turkmenistan")
    casim_app.choose(name)
    assert casim_app.state.value == state and casim_app.chosen.value == name


def test_switching_scenario_clears_the_result_and_a_stale_run_is_dropped(casim_app, monkeypatch):
    monkeypatch.setattr(casim_app.members, "value", 10)
    casim_app.choose("cpc_disruption")
    casim_app.compare_with.set(casim_app.NO_COMPARISON)
    small = casim_app.scenarios["cpc_disruption"].model_copy(update={"horizon": 6})
    monkeypatch.setitem(casim_app.scenarios, "cpc_disruption", small)
    casim_app.run()
    assert casim_app.result.value.scenario == "cpc_disruption"
    casim_app.choose("remittance_shock")
    assert casim_app.result.value is None
    # a run that finishes after the class switched scenarios does not show under the new title
    monkeypatch.setattr(casim_app, "run_experiment", _switching(casim_app, run_experiment))
    casim_app.choose("cpc_disruption")
    casim_app.run()
    assert casim_app.result.value is None


def _switching(casim_app, real):
    def run_and_switch(*args, **kwargs):
        out = real(*args, **kwargs)
        casim_app.chosen.set("remittance_shock")
        return out

    return run_and_switch


def test_compare_two_scenarios_on_one_scale_and_download_the_report(casim_app, monkeypatch, tmp_path):
    for name in ("remittance_shock", "cpc_disruption"):
        short = casim_app.scenarios[name].model_copy(update={"horizon": 8})
        monkeypatch.setitem(casim_app.scenarios, name, short)
    casim_app.choose("remittance_shock")
    casim_app.members.set(10)
    casim_app.compare_with.set("cpc_disruption")
    casim_app.run()
    current = casim_app.result.value
    assert list(current.runs) == ["remittance_shock", "cpc_disruption"]
    # same members and random numbers: both cases share their baseline exactly
    base = [current.runs[n].alignment.sel(case="baseline").values for n in current.runs]
    np.testing.assert_array_equal(base[0], base[1])
    fig = casim_app.comparison_figure(current.runs, "Kazakhstan")
    assert len(fig.axes) == 2 and fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    page = casim_app.report_html(current).decode()
    assert page.startswith("<!DOCTYPE html>") and "casim report: remittance_shock" in page
    assert "10 members" in page
    casim_app.compare_with.set(casim_app.NO_COMPARISON)


def test_event_windows_merge_and_cover_timed_and_random_events():
    from casim.spec import event_windows

    windows = {p.stem: load_scenario(p).event_windows() for p in LIBRARY.glob("*.yaml")}
    assert windows["baseline"] == [] and windows["remittance_shock"] == [(1, 12)]
    assert windows["wheat_ban"] == [(2, 4), (6, 40)]  # two separate windows stay apart
    assert windows["water_stress"] == [(5, 40)]  # a random event over its window
    scenario = load_scenario(LIBRARY / "remittance_shock.yaml")
    spec = scenario.to_runspec()
    assert spec.event_windows() == event_windows(spec.interventions, spec.horizon) == [(1, 12)]


def test_solara_assets_are_installed_for_offline_classrooms():
    folder = assets_dir()
    assert folder is not None, "solara-assets is a dependency: the app's front end must not need the internet"
    assert (folder / "requirejs@2.3.6" / "require.js").is_file()
    assert any(folder.glob("@widgetti/solara-vuetify-app@*/dist/solara-vuetify-app8.min.js"))


def test_server_environment_and_command(tmp_path):
    env = environment(LIBRARY / "wheat_ban.yaml", base={})
    assert env[ENV_SCENARIO].endswith("wheat_ban.yaml")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets_dir())
    assert env["SOLARA_APP"] == "casim.app"
    assert env["CASIM_APP_ORIGINS"].split() == ["http://localhost:8765", "http://127.0.0.1:8765", "http://[::1]:8765"]
    assert "CASIM_APP_ORIGINS" not in environment(base={"CASIM_APP_ORIGINS": "x"}, host="0.0.0.0")
    line = command("127.0.0.1", 8123)
    assert line[1:5] == ["-m", "uvicorn", "--factory", "casim.appasgi:build"] and "8123" in line


def test_app_refuses_a_bad_scenario_before_starting(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nhorizon: -3\n")
    result = runner.invoke(app, ["app", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "Traceback" not in result.output


def test_app_refuses_a_port_in_use_and_suggests_another():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()
        port = sock.getsockname()[1]
        result = runner.invoke(app, ["app", "--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port}" in result.output and "did you mean '--port" in result.output
