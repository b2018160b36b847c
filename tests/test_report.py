"""The printable report: what it holds, that it stands alone, and its commands."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from casim.cli import app
from casim.names import POLES, STATES
from casim.report import REPORT_FILE, build_report
from casim.results import open_ensemble
from helpers import short_scenario

pytestmark = pytest.mark.xdist_group("report")  # one worker: the module's shared run

runner = CliRunner()


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """A short run written with ``--report``: (folder, report text)."""
    tmp = tmp_path_factory.mktemp("report")
    scenario = short_scenario(tmp, horizon=12)
    out = tmp / "run"
    result = runner.invoke(app, ["run", str(scenario), "--members", "6", "--seed", "5", "--report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, (out / REPORT_FILE).read_text(encoding="utf-8")


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_run_with_report_writes_it_and_lists_it_in_the_manifest(reported):
    folder, _ = reported
    manifest = json.loads((folder / "manifest.json").read_text())
    assert REPORT_FILE in manifest["files"]


def test_report_embeds_every_figure_and_links_nothing_outside(reported):
    folder, page = reported
    images = re.findall(r"<img src='data:image/png;base64,([^']+)'", page)
    # the four run figures plus the explanation's figure
    assert len(images) == 5
    for name in ("alignment.png", "difference.png", "economy.png", "ternary.png"):
        assert base64.b64encode((folder / name).read_bytes()).decode("ascii") in images
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"(src|href)=['\"](https?:|/|\.\.?/)", page), "the report must not load outside files"


def test_report_states_scenario_sources_and_manifest(reported):
    folder, page = reported
    text = _text(page)
    assert "remittance_shock" in text
    assert "Sources" in text and "002" in text  # the study is cited among the sources
    assert "6 members" in text and "seed 5" in text
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["casim_version"] in text if "casim_version" in manifest else "casim" in text
    assert "Why states moved" in text and "Shapley" in text


def test_report_key_numbers_match_the_ensemble(reported):
    folder, page = reported
    with open_ensemble(folder / "ensemble.nc") as ds:
        diff = (ds.alignment.sel(case="scenario") - ds.alignment.sel(case="baseline")).load()
    median = diff.median("member")
    peak = int(np.abs(median).sum(("state", "pole")).argmax("quarter"))
    label = str(diff["label"].values[peak])
    assert f"Alignment at the largest change ({label})" in page
    table = page[page.index("Alignment at the largest change") :]
    row = table[table.index("<td>Tajikistan</td>") :]
    cells = re.findall(r"<td[^>]*>([+-]\d\.\d{3})<br>", row)[: len(POLES)]
    expected = [f"{float(median.sel(state='Tajikistan', pole=p).isel(quarter=peak)):+.3f}" for p in POLES]
    assert cells == expected
    # the crackdown moves Tajikistan away from Russia: the printed median is negative
    assert float(cells[POLES.index("Russia")]) < 0
    for state in STATES:
        assert f"<td>{state}</td>" in table


def test_report_command_rewrites_the_report(reported, tmp_path):
    folder, _ = reported
    target = tmp_path / "copy.html"
    result = runner.invoke(app, ["report", str(folder), "--out", str(target), "--explain-members", "0"])
    assert result.exit_code == 0, result.output
    assert "report written to" in result.output
    page = target.read_text(encoding="utf-8")
    assert "(left out)" in page and "Key numbers" in page
    assert page == build_report(folder, explain_members=0)


def test_report_of_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a casim results folder" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / REPORT_FILE).exists()
