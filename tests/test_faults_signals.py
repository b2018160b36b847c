"""Signals stop everything a command started (issue 11, item 6).

SIGTERM once left ``casim run``'s worker processes computing (about 300 MB each) and
``casim app``'s server holding its port. Now SIGTERM unwinds like Ctrl-C: workers are
terminated, the app's process group is stopped, temporary folders are removed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casim.appserver import free_port
from helpers import short_scenario, tiny_scenario

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
    pytest.mark.xdist_group("signals"),
]


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    """Whether something accepts connections on ``port`` of this machine."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"])
def test_a_signal_stops_run_and_its_workers_and_keeps_nothing(tmp_path, sig, code):
    scenario = tiny_scenario(tmp_path, horizon=40, members=4000)
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "casim", "run", str(scenario), "--no-plots", "-q", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(children(process.pid)) >= 2, 60, "the worker processes")
        workers = children(process.pid)
        process.send_signal(sig)
        assert process.wait(timeout=30) == code
        wait_for(lambda: not any(alive(w) for w in workers), 15, "the workers to stop")
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read()
    assert "nothing was kept" in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_sigterm_stops_the_app_and_frees_its_port(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "casim", "app", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )

    try:
        wait_for(lambda: listening(port), 90, "the app to listen")
        servers = children(process.pid)
        assert servers, "the server runs in a child process"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 143
        wait_for(lambda: not any(alive(s) for s in servers), 15, "the server to stop")
        wait_for(lambda: not listening(port), 15, "the port to be freed")
    finally:
        if process.poll() is None:
            process.kill()
        for pid in children(process.pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 0), (signal.SIGTERM, 143)])
def test_a_signal_stops_play_frees_its_port_and_keeps_the_session(tmp_path, sig, code):
    """Ctrl-C is how a teacher ends a session (exit 0); SIGTERM exits 143. Either way the port is
    freed and the session file written so far stays, complete."""
    port = free_port()
    save = tmp_path / "session.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casim",
            "play",
            str(short_scenario(tmp_path, horizon=4)),
            "--turns",
            "1",
            "-n",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            str(save),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )

    try:
        wait_for(lambda: listening(port), 90, "casim play to listen")
        process.send_signal(sig)
        assert process.wait(timeout=30) == code
        wait_for(lambda: not listening(port), 15, "the port to be freed")
        assert json.loads(save.read_text())["format"] == "casim-play-session"
        said = process.stdout.read().decode()
        assert "Traceback" not in said and "nothing was kept" not in said and "the session so far is in" in said
    finally:
        if process.poll() is None:
            process.kill()
