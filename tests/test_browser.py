"""End to end in a real browser: the classroom app and the printable report in headless Chromium.

The browser is Debian's ``chromium`` package (``.ci/run`` installs it), driven by Playwright
through its ``executable_path``; no browser is downloaded. Set ``CASIM_CHROMIUM`` to use
another Chromium binary, and ``CASIM_SCREENSHOTS`` to a folder to keep the screenshots
(README's are made that way: ``CASIM_SCREENSHOTS=docs/images pytest -m browser``).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from casim.appserver import free_port
from casim.cli import app
from casim.report import REPORT_FILE
from helpers import short_scenario

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one worker: shared page

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The Chromium binary to drive: $CASIM_CHROMIUM, else the first one on PATH."""
    explicit = os.environ.get("CASIM_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium, or a skip that says how to get one."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "no Chromium found: install Debian's package (sudo apt-get install chromium) or set CASIM_CHROMIUM "
            "to a Chromium binary; .ci/run installs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def keep(path: Path, name: str) -> None:
    """Copy a screenshot to $CASIM_SCREENSHOTS if set."""
    target = os.environ.get("CASIM_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)


def changed_share(before: bytes, after: bytes) -> float:
    """Share of pixels that differ between two PNG screenshots, below the title (top tenth)."""
    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16) for png in (before, after))
    assert a.shape == b.shape
    top = a.shape[0] // 10
    return float((np.abs(a[top:] - b[top:]) > 24).mean())


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"casim app exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"casim app did not listen on port {port} within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server as Ctrl-C would, or kill it after 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """``casim app`` started as a user would, on a free port; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "casim", "app", "--port", str(port), "--host", "127.0.0.1"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=tmp_path_factory.getbasetemp(),
        )
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop(process)
    print(log.read_text(errors="replace")[-3000:])


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the app's drop-down ``label`` and wait until its menu has closed."""
    page.locator(".v-select", has_text=label).click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()
    page.wait_for_selector(".menuable__content__active", state="detached", timeout=10_000)


def test_app_moves_a_lever_runs_and_redraws(browser, app_url, tmp_path):
    page = browser.new_page(viewport={"width": 1300, "height": 950})
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"failed: {request.url}"))
    page.on(
        "response",
        lambda response: failed.append(f"{response.status}: {response.url}") if response.status >= 400 else None,
    )
    page.goto(app_url, wait_until="domcontentloaded")
    run = page.get_by_role("button", name="Run")
    run.wait_for(timeout=90_000)
    page.get_by_text("press Run").wait_for()

    run.click()
    page.get_by_text("Run 1:").wait_for(timeout=90_000)
    plot = page.locator("img").last
    assert plot.evaluate("img => img.complete && img.naturalWidth") > 300
    first = plot.screenshot()
    numbers = page.locator("table.casim-numbers")
    before = numbers.inner_text()
    assert "Russia" in before and "autonomy" in before

    # the first lever is the size of the intervention: from 1.0 to 1.5
    size = page.get_by_role("slider").first
    size.focus()
    for _ in range(5):
        size.press("ArrowRight")
    page.get_by_text("Size of the intervention: 1.5×").wait_for()

    run.click()
    page.get_by_text("Run 2:").wait_for(timeout=90_000)
    assert "size 1.5" in page.locator("p", has_text="Run 2:").inner_text()
    second = plot.screenshot()
    assert changed_share(first, second) > 0.002, "the plotted lines did not change after moving the lever"
    after = numbers.inner_text()
    assert after != before, "the key numbers did not change after moving the lever"

    page.get_by_role("button", name="Run", disabled=False).wait_for(timeout=30_000)  # the run has finished
    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    keep(shot, "app.png")

    # the report of the run on screen, downloaded from the page
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "casim report: remittance_shock" in report and "size 1.5" in report

    # another scenario: the old result goes, and the state shown is the new scenario's target
    pick(page, "Scenario", "cpc_disruption")
    page.get_by_text("press Run").wait_for()
    assert "Run 2:" not in page.inner_text("body")
    assert "Kazakhstan" in page.locator(".v-select", has_text="State to show").inner_text()

    # two scenarios side by side
    pick(page, "Compare with", "middle_corridor")
    run.click()
    page.get_by_text("Side by side: cpc_disruption and middle_corridor").wait_for(timeout=90_000)
    assert page.locator("img").count() >= 2
    # everything the page needs is served locally: nothing failed to load
    assert not failed, failed
    page.close()


def test_report_renders_with_its_figures_and_prints_on_a4(browser, tmp_path):
    scenario = short_scenario(tmp_path, horizon=12)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(scenario), "--members", "6", "--report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = browser.new_page(viewport={"width": 900, "height": 1270})
    page.goto((out / REPORT_FILE).resolve().as_uri(), wait_until="load")
    assert page.title() == "casim report: remittance_shock"
    widths = page.eval_on_selector_all("img", "images => images.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 5 and min(widths) > 300, widths
    text = page.inner_text("body")
    for needed in ("Key numbers", "Tajikistan", "Sources", "Why states moved", "6 members"):
        assert needed in text
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))  # the first A4-sized screen: title, sources, key numbers
    assert shot.stat().st_size > 50_000
    keep(shot, "report.png")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 3 <= pages <= 12, f"{pages} A4 pages"
    page.close()


@pytest.fixture()
def play_session(tmp_path):
    """``casim play`` started as a teacher would (two teams, two turns); yields the links it prints."""
    scenario = short_scenario(tmp_path, horizon=8)
    port = free_port()
    log = tmp_path / "play.log"
    save = tmp_path / "session.json"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-u",
                "-m",
                "casim",
                "play",
                str(scenario),
                "--teams",
                "2",
                "--turns",
                "2",
                "--members",
                "6",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--save",
                str(save),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            wait_for_port(port, process)
            deadline = time.monotonic() + 30
            while "debrief:" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            links = dict(re.findall(r"^\s+(teacher|Russia|China):\s+(\S+)$", log.read_text(), flags=re.M))
            assert set(links) == {"teacher", "Russia", "China"}, log.read_text()
            yield links, save
        finally:
            stop(process)
    print(log.read_text(errors="replace")[-3000:])


def test_play_two_teams_two_turns_and_the_debrief(browser, play_session, tmp_path):
    links, save = play_session
    teacher = browser.new_page(viewport={"width": 1300, "height": 1000})
    russia = browser.new_context().new_page()
    china = browser.new_context().new_page()
    failed: list[str] = []
    for page in (teacher, russia, china):  # (requests cut short by leaving a page are not failures)
        page.on(
            "requestfailed",
            lambda r: None if "ERR_ABORTED" in (r.failure or "") else failed.append(f"{r.failure}: {r.url}"),
        )
    teacher.goto(links["teacher"])
    teacher.locator("#teams td", has_text="Russia").wait_for()

    russia.goto(links["Russia"])
    russia.get_by_text("You steer: Russia").wait_for()
    russia.locator("#levers").wait_for()
    # a team sees only its own levers: no other team's link, no teacher key, one table of its own
    html = russia.content()
    assert links["China"].split("token=")[1] not in html and links["teacher"].split("key=")[1] not in html
    assert russia.locator("#levers").count() == 1
    russia.locator("input.effort[data-state=Tajikistan][data-channel=security]").fill("3")
    russia.locator("select.weapon[data-state=Kyrgyzstan][data-channel=remittances]").select_option("stop")
    russia.click("#submit")
    russia.get_by_text("Moves submitted").wait_for()

    china.goto(links["China"])
    china.locator("#levers").wait_for()
    fdi = china.locator("input.effort[data-state=Kyrgyzstan][data-channel=fdi]")
    fdi.fill("9")  # out of bounds: the server refuses, whatever the page lets through
    china.click("#submit")
    china.get_by_text("Not accepted").wait_for()
    assert "from 0 to 3" in china.inner_text("#status")
    fdi.fill("3")
    china.click("#submit")
    china.get_by_text("Moves submitted").wait_for()

    teacher.locator("td.submitted", has_text="submitted").nth(1).wait_for()
    teacher.click("#advance")
    teacher.get_by_text("Turn 2 of 2").wait_for(timeout=60_000)
    russia.get_by_text("Turn 2 of 2").wait_for(timeout=10_000)  # the teams' pages follow
    teacher.click("#advance")
    teacher.locator("#debrief").wait_for(timeout=60_000)
    russia.locator("#debrief").wait_for(timeout=10_000)

    saved = json.loads(save.read_text())
    assert len(saved["history"]) == 2
    assert saved["history"][0]["China"]["effort"] == {"Kyrgyzstan": {"fdi": 3.0}}

    teacher.click("#debrief")
    teacher.locator("#debrief-title").wait_for(timeout=120_000)
    for image in ("#paths", "#attribution"):
        teacher.wait_for_function(f"document.querySelector('{image}').complete", timeout=60_000)
        assert teacher.locator(image).evaluate("img => img.naturalWidth") > 600
    text = teacher.inner_text("body")
    for needed in ("Which moves mattered", "Tajikistan", "effort ×3 security in Tajikistan", "stop remittances"):
        assert needed in text, needed
    assert teacher.locator("#changes tr").count() == 1 + 5 * 2  # header, five states x two powers
    shot = tmp_path / "play_debrief.png"
    teacher.screenshot(path=str(shot))
    assert shot.stat().st_size > 50_000
    keep(shot, "play_debrief.png")
    assert not failed, failed
    for page in (teacher, russia, china):
        page.close()
