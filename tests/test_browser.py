"""End to end in a real browser: the classroom app and the printable report in headless Chromium.

The browser is Debian's ``chromium`` package (``.ci/run`` installs it), driven by Playwright
through its ``executable_path``; no browser is downloaded. Set ``CASIM_CHROMIUM`` to use
another Chromium binary, and ``CASIM_SCREENSHOTS`` to a folder to keep the screenshots
(README's are made that way: ``CASIM_SCREENSHOTS=docs/images pytest -m browser``).
"""

from __future__ import annotations

import io
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
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    print(log.read_text(errors="replace")[-3000:])


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

    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    keep(shot, "app.png")
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
