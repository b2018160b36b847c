"""Serving the classroom app: the Solara command, its environment and its offline assets.

``casim app`` serves :mod:`casim.appasgi` (Solara's server for ``casim.app`` behind a
websocket Origin check) with uvicorn in a child process, in its own process group: when
``casim app`` stops (Ctrl-C, SIGTERM), the whole group is stopped, so no server is left
holding the port. Two things make the app work in a classroom without internet access:

* the browser-side files Solara would fetch from a CDN come from the ``solara-assets``
  package, installed with casim; :func:`assets_dir` finds where pip put them and the
  server is pointed there (``SOLARA_ASSETS_PROXY_CACHE_DIR``);
* casim pins ``ipyvue``/``ipyvuetify`` below 2, the Vue 2 front end whose files that
  package carries (see README, "Dependencies").

Solara's usage telemetry is switched off: a classroom tool should not phone home.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from casim.appasgi import ENV_ORIGINS, LOOPBACK, loopback_origins
from casim.errors import CasimError, Terminated

ENV_SCENARIO = "CASIM_APP_SCENARIO"
APP_MODULE = "casim.app"
ASGI_MODULE = "casim.appasgi"
#: A file every copy of Solara's offline assets holds; its folder's parent is the asset root.
MARKER = ("requirejs@2.3.6", "require.js")


def assets_dir() -> Path | None:
    """The folder holding Solara's front-end files from ``solara-assets``, or None if absent."""
    try:
        dist = metadata.distribution("solara-assets")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or []:
        if tuple(file.parts[-2:]) == MARKER:
            path = Path(dist.locate_file(file)).resolve()
            if path.is_file():
                return path.parent.parent
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environment(
    scenario: str | Path | None = None,
    base: dict[str, str] | None = None,
    host: str = "localhost",
    port: int = 8765,
) -> dict[str, str]:
    """Environment for the app's server process.

    Args:
        scenario: A scenario file to open first (and add to the app's list).
        base: The environment to extend (default: this process's).
        host, port: Where the app is served (they set the origins its websocket accepts).
    """
    env = dict(os.environ if base is None else base)
    if scenario is not None:
        env[ENV_SCENARIO] = str(Path(scenario).resolve())
    env["SOLARA_APP"] = APP_MODULE
    env["SERVER_NAME"], env["SERVER_PORT"] = host, str(port)
    if is_loopback(host):
        env[ENV_ORIGINS] = " ".join(loopback_origins(port))
    else:
        env.pop(ENV_ORIGINS, None)  # same-origin check
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    assets = assets_dir()
    if assets is not None:
        env.setdefault("SOLARA_ASSETS_PROXY_CACHE_DIR", str(assets))
    return env


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_refused(host: str, port: int, error: OSError) -> CasimError:
    """The message for a port that cannot be listened on, with a free one as suggestion."""
    return CasimError(
        f"{host}:{port}", 0, 0, "--port", f"cannot listen there ({error.strerror})", suggestion=f"--port {free_port()}"
    )


def command(host: str, port: int) -> list[str]:
    """The command line that serves the app on ``host:port``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"{ASGI_MODULE}:build",
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def serve(
    scenario: str | Path | None = None,
    host: str = "localhost",
    port: int = 8765,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Serve the app until interrupted; returns the server's exit code.

    Args:
        scenario: A scenario file to open first.
        host: Address to listen on.
        port: Port to listen on.
        announce: Called with the app's URL once the port is known to be free.

    Raises:
        CasimError: if ``port`` is already taken (with the suggestion of a free one).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise port_refused(host, port, error) from None
    if announce is not None:
        announce(f"http://{host}:{port}")
    server = subprocess.Popen(
        command(host, port), env=environment(scenario, host=host, port=port), start_new_session=True
    )
    try:
        return server.wait()
    except KeyboardInterrupt as interrupt:
        stop(server)
        if isinstance(interrupt, Terminated):
            raise
        return 0  # Ctrl-C is how a teacher stops the app
    finally:
        if server.poll() is None:
            stop(server)


def stop(server: subprocess.Popen, grace: float = 5.0) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.pid, sig)
        try:
            server.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
