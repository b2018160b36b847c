"""Serving a ``casim play`` session to the classroom's browsers (standard library only).

One process holds the session (:class:`casim.play.PlaySession`) and serves plain HTML pages
that talk to a small JSON API; nothing is fetched from the internet, and nothing beyond
the core install is needed (``casim app``'s Solara is not used).

Roles are set by secrets in the links: the teacher's page carries the teacher's key, each
team's page its team's token. A team sees and changes only its own levers; only the
teacher can end a turn. Every submission is checked by :func:`casim.play.parse_moves`
(bounded values, known names) and its size is capped. The model runs in this process,
one request at a time (a lock), when the teacher ends a turn; the debrief is prepared in
a background thread after the last turn.

Routes:

==============================  ======================================================
``GET /``                       join page: a team enters its code
``GET /teacher?key=K``          the teacher's page: teams, their status, "end the turn"
``GET /team?token=T``           a team's page: its levers and its power's path so far
``GET /debrief``                after the last turn: paths, bands, which moves mattered
``GET /api/state``              JSON state for the key or token given
``POST /api/moves?token=T``     a team's moves for the current turn (JSON)
``POST /api/advance?key=K``     end the turn (teacher)
``GET /figure/NAME.png``        figures (``session``, ``paths``, ``attribution``)
``GET /session.json?key=K``     the saved session, to replay later
==============================  ======================================================
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from casim import names
from casim.errors import CasimError
from casim.play import (
    CONDITIONALITY_RANGE,
    EFFORT_RANGE,
    MAX_SUBMISSION,
    QUARTERS_PER_TURN,
    WEAPON_CHOICES,
    Debrief,
    MoveError,
    PlaySession,
    debrief,
)
from casim.playpages import debrief_page, join_page, message_page, teacher_page, team_page


class PlayState:
    """The session, its latest run and figures, shared by the request threads under one lock."""

    def __init__(self, session: PlaySession, save_path: Path | None = None) -> None:
        self.session = session
        self.save_path = save_path
        self.lock = threading.RLock()
        self.alignment = None  # the latest run (no_intervention and played)
        self.figures: dict[tuple, bytes] = {}
        self.debrief: Debrief | None = None
        self.debrief_status = "waiting"  # waiting, preparing, ready, failed
        self.debrief_error = ""
        self._run()
        if session.finished:
            self._prepare_debrief(background=False)

    # ------------------------------------------------------------------ model
    def _run(self) -> None:
        self.alignment = self.session.run()
        self.figures.clear()

    def _prepare_debrief(self, background: bool = True) -> None:
        self.debrief_status = "preparing"

        def work() -> None:
            try:
                result = debrief(self.session)
            except Exception as error:  # shown on the page; the session itself is saved
                with self.lock:
                    self.debrief_status, self.debrief_error = "failed", f"{type(error).__name__}: {error}"
                return
            with self.lock:
                self.debrief, self.debrief_status = result, "ready"
                self.figures.clear()

        if background:
            threading.Thread(target=work, name="casim-play-debrief", daemon=True).start()
        else:
            work()

    def save(self) -> None:
        if self.save_path is not None:
            self.session.save(self.save_path)

    # ------------------------------------------------------------------ actions
    def submit(self, power: str, raw: Any) -> dict:
        with self.lock:
            moves = self.session.submit(power, raw)
            return moves.to_json()

    def advance(self) -> None:
        with self.lock:
            self.session.advance()
            self.save()
            self._run()
            if self.session.finished:
                self._prepare_debrief()

    # ------------------------------------------------------------------ views
    def state(self, power: str | None, teacher: bool) -> dict:
        s = self.session
        with self.lock:
            data: dict[str, Any] = {
                "scenario": s.scenario.name,
                "description": s.scenario.description,
                "turn": s.turn,
                "turns": s.turns,
                "finished": s.finished,
                "year": None if s.finished else s.year(),
                "debrief": self.debrief_status,
                "submitted": sorted(s.pending),
                "powers": list(s.powers),
            }
            if power is not None:
                data["power"] = power
                pending = s.pending.get(power)
                data["moves"] = pending.to_json() if pending is not None else None
                data["levers"] = {
                    "states": list(names.STATES),
                    "channels": list(names.CHANNELS),
                    "channel_descriptions": dict(names.CHANNEL_DESCRIPTIONS),
                    "effort": list(EFFORT_RANGE),
                    "conditionality": list(CONDITIONALITY_RANGE),
                    "weapon": list(WEAPON_CHOICES),
                }
                data["history"] = [by_power[power].to_json() for by_power in s.history if power in by_power]
                data["scenario_events"] = scenario_events(s, power)
            if teacher:
                data["teams"] = [{"power": p, "token": s.tokens.get(p, "")} for p in s.powers]
                data["saved_to"] = str(self.save_path) if self.save_path else None
                data["error"] = self.debrief_error
            return data

    def figure(self, name: str, power: str | None) -> bytes | None:
        import matplotlib.pyplot as plt

        from casim import plots_play

        with self.lock:
            key = (name, power, self.session.turn, self.debrief_status)
            if key in self.figures:
                return self.figures[key]
            s = self.session
            if name == "session":
                powers = [power] if power else list(s.powers)
                fig = plots_play.session_figure(
                    self.alignment,
                    powers,
                    s.turn * QUARTERS_PER_TURN,
                    scenario=s.scenario.name,
                    seed=s.scenario.seed,
                    title=f"{s.scenario.name}: after {s.turn} of {s.turns} turns",
                )
            elif name in ("paths", "attribution") and self.debrief is not None:
                members = self.alignment.sizes["member"]
                if name == "paths":
                    fig = plots_play.session_figure(
                        self.debrief.alignment,
                        list(s.powers),
                        s.turn * QUARTERS_PER_TURN,
                        scenario=s.scenario.name,
                        seed=s.scenario.seed,
                        title=f"Debrief: {s.scenario.name}, the teams' moves against no intervention",
                    )
                else:
                    fig = plots_play.attribution_figure(
                        self.debrief.by_channel,
                        list(s.powers),
                        scenario=s.scenario.name,
                        members=members,
                        seed=s.scenario.seed,
                    )
            else:
                return None
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=90)
            plt.close(fig)
            self.figures[key] = buffer.getvalue()
            return self.figures[key]


def scenario_events(session: PlaySession, power: str) -> list[str]:
    """What the scenario itself makes ``power`` do (or does to everyone), in words, for its team."""
    scn = session.scenario
    lines = []
    for ev in [*scn.events, *scn.random_events]:
        powers = {names.resolve("pole", p) for p in ev.powers}
        if powers and power not in powers:
            continue
        start = ev.at if hasattr(ev, "at") else "any quarter"
        lasting = "for good" if ev.duration == "permanent" else f"for {ev.duration} quarters"
        where = ", ".join(names.resolve("state", st) for st in ev.states) or "every state"
        chance = f", with probability {ev.probability:g} per quarter" if hasattr(ev, "probability") else ""
        label = ev.name or ev.variable or ev.parameter or "event"
        lines.append(f"{label} ({where}; from {start} {lasting}{chance})")
    return lines


def make_handler(state: PlayState) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to ``state``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "casim-play"
        #: Seconds a connection may stay silent (a client that announces a body and never sends
        #: it must not hold a thread for ever).
        timeout = 20

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the teacher's terminal stays readable
            return

        # -------------------------------------------------------------- helpers
        def _query(self) -> dict[str, str]:
            return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

        def _role(self) -> tuple[str | None, bool]:
            q = self._query()
            s = state.session
            teacher = bool(s.teacher_key) and "key" in q and q["key"] == s.teacher_key
            power = s.power_of(q["token"]) if "token" in q else None
            return power, teacher

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def _html(self, text: str, status: int = HTTPStatus.OK) -> None:
            self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

        def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
            self._send(status, json.dumps(data).encode("utf-8"), "application/json")

        def _refuse(self, status: int, message: str) -> None:
            if urlsplit(self.path).path.startswith("/api/"):
                self._json({"error": message}, status)
            else:
                self._html(message_page("casim play", message), status)

        def _guarded(self, handle) -> None:
            """Answer any unexpected failure with a one-line message (never a traceback or a
            dropped connection): the class's pages keep working."""
            try:
                handle()
            except (BrokenPipeError, ConnectionResetError):
                pass
            except Exception as error:  # a bug or a failed run: say so, keep serving
                message = f"the server could not do this ({type(error).__name__}: {str(error)[:300]})"
                with contextlib.suppress(Exception):
                    self._refuse(HTTPStatus.INTERNAL_SERVER_ERROR, message)

        def do_GET(self) -> None:
            self._guarded(self._get)

        def do_POST(self) -> None:
            self._guarded(self._post)

        # -------------------------------------------------------------- GET
        def _get(self) -> None:
            path = urlsplit(self.path).path
            power, teacher = self._role()
            s = state.session
            if path == "/":
                self._html(join_page(s.scenario.name))
            elif path == "/teacher":
                if not teacher:
                    return self._refuse(HTTPStatus.FORBIDDEN, "This page needs the teacher's link.")
                self._html(teacher_page(s.scenario.name, self._query()["key"]))
            elif path == "/team":
                if power is None:
                    return self._refuse(
                        HTTPStatus.FORBIDDEN, "Unknown team code: ask your teacher for your team's link."
                    )
                self._html(team_page(s.scenario.name, power, self._query()["token"]))
            elif path == "/debrief":
                self._html(debrief_page(state, teacher))
            elif path == "/api/state":
                if power is None and not teacher:
                    return self._refuse(HTTPStatus.FORBIDDEN, "unknown team code or teacher key")
                self._json(state.state(power, teacher))
            elif path.startswith("/figure/") and path.endswith(".png"):
                name = path[len("/figure/") : -len(".png")]
                if name == "session" and power is None and not teacher:
                    return self._refuse(HTTPStatus.FORBIDDEN, "unknown team code or teacher key")
                if name in ("paths", "attribution") and not s.finished:
                    return self._refuse(HTTPStatus.CONFLICT, "the debrief is shown after the last turn")
                png = state.figure(name, None if teacher else power)
                if png is None:
                    return self._refuse(HTTPStatus.NOT_FOUND, "no such figure (yet)")
                self._send(HTTPStatus.OK, png, "image/png")
            elif path == "/session.json":
                if not teacher:
                    return self._refuse(HTTPStatus.FORBIDDEN, "only the teacher can download the session")
                with state.lock:
                    body = json.dumps(s.to_json(), indent=1).encode("utf-8")
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Disposition", f'attachment; filename="{s.scenario.name}-session.json"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self._refuse(HTTPStatus.NOT_FOUND, "No such page.")

        # -------------------------------------------------------------- POST
        def _post(self) -> None:
            path = urlsplit(self.path).path
            power, teacher = self._role()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_SUBMISSION:
                return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"at most {MAX_SUBMISSION} bytes")
            body = self.rfile.read(length) if length else b""
            if path == "/api/moves":
                if power is None:
                    return self._refuse(HTTPStatus.FORBIDDEN, "unknown team code")
                try:
                    raw = json.loads(body.decode("utf-8") or "null")
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return self._refuse(HTTPStatus.BAD_REQUEST, "the moves are not JSON")
                try:
                    moves = state.submit(power, raw)
                except MoveError as error:
                    return self._refuse(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))
                self._json({"ok": True, "moves": moves})
            elif path == "/api/advance":
                if not teacher:
                    return self._refuse(HTTPStatus.FORBIDDEN, "only the teacher can end a turn")
                try:
                    state.advance()
                except MoveError as error:
                    return self._refuse(HTTPStatus.CONFLICT, str(error))
                except CasimError as error:  # the save file could not be written
                    return self._refuse(HTTPStatus.INTERNAL_SERVER_ERROR, str(error))
                self._json({"ok": True, "turn": state.session.turn, "finished": state.session.finished})
            else:
                self._refuse(HTTPStatus.NOT_FOUND, "No such action.")

    return Handler


def make_server(state: PlayState, host: str = "localhost", port: int = 8770) -> ThreadingHTTPServer:
    """A server for ``state`` bound to ``host:port`` (port 0: any free port), not yet serving.

    Raises:
        CasimError: if the port cannot be used (with a free one as suggestion).
    """
    from casim.appserver import port_refused

    try:
        server = ThreadingHTTPServer((host, port), make_handler(state))
    except OSError as error:
        raise port_refused(host, port, error) from None
    server.daemon_threads = True
    return server


def serve(
    state: PlayState,
    host: str = "localhost",
    port: int = 8770,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``state`` until interrupted (Ctrl-C or SIGTERM stop it; the session is saved after
    every turn, so nothing played is lost).

    Args:
        state: The session to serve.
        host, port: Where to listen.
        announce: Called with the base URL once listening.
    """
    server = make_server(state, host, port)
    if announce is not None:
        announce(f"http://{host}:{server.server_address[1]}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


def page_escape(text: object) -> str:
    return html.escape(str(text), quote=True)
