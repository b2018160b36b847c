"""The classroom app as an ASGI application: Solara's server behind a websocket Origin check.

``casim app`` serves this module with uvicorn (as Solara's deployment guide does with
``SOLARA_APP=... uvicorn solara.server.starlette:app``). Everything the app does travels
over one websocket, and browsers let any web page open a websocket to any address,
including ``localhost``: without a check, a page a student visits could drive the app
(cross-site websocket hijacking). :class:`OriginCheck` therefore refuses a websocket whose
``Origin`` header is not the app's own address:

* served on a loopback address (the default), the origin must be ``http://localhost:P``,
  ``http://127.0.0.1:P`` or ``http://[::1]:P``, which also defeats DNS rebinding;
* served on another address (``--host``), the origin must match the ``Host`` the browser
  asked for (same origin), since the addresses students use are not known in advance.

A refused websocket gets HTTP 403 before any message is read.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

ENV_ORIGINS = "CASIM_APP_ORIGINS"
LOOPBACK = ("localhost", "127.0.0.1", "::1")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def loopback_origins(port: int) -> list[str]:
    """The origins of an app served on a loopback address at ``port``."""
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}", f"http://[::1]:{port}"]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str | None, host: str | None, allowed: list[str] | None) -> bool:
    """Whether a websocket from ``origin`` (asking for ``host``) may connect.

    Args:
        origin: The ``Origin`` header (browsers always send it with a websocket).
        host: The ``Host`` header.
        allowed: Exact origins allowed, or None to require the same origin as ``host``.
    """
    if not origin:
        return False
    origin = origin.strip().lower().rstrip("/")
    if allowed is not None:
        return origin in {a.lower().rstrip("/") for a in allowed}
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host.strip().lower()


class OriginCheck:
    """ASGI middleware refusing websockets from other origins (see the module docstring)."""

    def __init__(self, app: ASGIApp, allowed: list[str] | None):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and not origin_allowed(
            _header(scope, b"origin"), _header(scope, b"host"), self.allowed
        ):
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


def _allowed_from_environment() -> list[str] | None:
    value = os.environ.get(ENV_ORIGINS, "").split()
    return value or None


def build() -> OriginCheck:
    """Solara's Starlette app for ``casim.app``, wrapped in the Origin check."""
    os.environ.setdefault("SOLARA_APP", "casim.app")
    from solara.server.starlette import app as solara_app

    return OriginCheck(solara_app, _allowed_from_environment())
