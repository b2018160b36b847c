"""casim play: moves checked on the server side, sessions saved and replayed, the debrief's split,
and the HTTP roles (a team sees and changes only its own levers; only the teacher ends turns)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casim import names
from casim.play import (
    EFFORT_RANGE,
    MAX_SUBMISSION,
    QUARTERS_PER_TURN,
    MoveError,
    Moves,
    PlaySession,
    debrief,
    move_events,
    parse_moves,
)
from helpers import assert_clean, invoke, short_scenario

pytestmark = pytest.mark.xdist_group("play")


# --------------------------------------------------------------------------- moves


def test_moves_are_parsed_with_names_codes_and_aliases():
    moves = parse_moves(
        {
            "effort": {"TJ": {"security": 2.5, "media": 1}, "kazakhstan": {"FDI": "0.5"}},
            "weapon": {"Kyrgyzstan": {"remittances": "stop", "trade": "keep"}},
            "conditionality": 0.3,
        }
    )
    assert moves.effort == {("Tajikistan", "security"): 2.5, ("Kazakhstan", "fdi"): 0.5}  # 1 = default, dropped
    assert moves.weapon == {("Kyrgyzstan", "remittances"): "stop"}
    assert moves.conditionality == 0.3 and not moves.empty
    assert parse_moves(moves.to_json()) == moves  # the saved form reads back the same
    assert parse_moves({}).empty and parse_moves({"conditionality": None}).empty


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"effort": {"TJ": {"security": 3.01}}}, "effort.Tajikistan.security: expected a number from 0 to 3"),
        ({"effort": {"TJ": {"security": -1}}}, "from 0 to 3"),
        ({"effort": {"TJ": {"security": float("nan")}}}, "from 0 to 3"),
        ({"effort": {"TJ": {"security": float("inf")}}}, "from 0 to 3"),
        ({"effort": {"TJ": {"security": True}}}, "expected a number"),
        ({"effort": {"TJ": {"security": [1]}}}, "expected a number"),
        ({"effort": {"Tajikstan": {"security": 2}}}, "did you mean 'Tajikistan'"),
        ({"effort": {"TJ": {"remitances": 2}}}, "did you mean 'remittances'"),
        ({"effort": {"TJ": 2}}, "expected channels and values"),
        ({"effort": [1, 2]}, "expected a table"),
        ({"weapon": {"TJ": {"energy": "nuke"}}}, "expected one of keep, weaponise, stop"),
        ({"conditionality": 1.5}, "conditionality: expected a number from 0 to 1"),
        ({"budget": 3}, "unknown lever 'budget'"),
        ([], "expected an object"),
        ("effort", "expected an object"),
    ],
)
def test_invalid_moves_are_refused_with_the_field_and_what_was_expected(raw, needle):
    with pytest.raises(MoveError, match=None) as caught:
        parse_moves(raw)
    assert needle in str(caught.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
LEVERS = st.dictionaries(
    st.sampled_from(["effort", "weapon", "conditionality"]),
    st.dictionaries(
        st.sampled_from([*names.STATES, "TJ", "xx"]),
        st.dictionaries(st.sampled_from([*names.CHANNELS, "nope"]), JSON, max_size=3),
        max_size=3,
    )
    | JSON,
)


@settings(max_examples=300, deadline=None)
@given(LEVERS | JSON)
def test_any_submission_is_either_valid_moves_or_a_move_error(raw):
    try:
        moves = parse_moves(raw)
    except MoveError:
        return
    for factor in moves.effort.values():
        assert EFFORT_RANGE[0] <= factor <= EFFORT_RANGE[1] and np.isfinite(factor)
    assert set(moves.weapon.values()) <= {"weaponise", "stop"}
    assert moves.conditionality is None or 0 <= moves.conditionality <= 1


def test_moves_become_events_for_the_turns_four_quarters():
    moves = Moves({("Tajikistan", "security"): 2.0}, {("Kyrgyzstan", "remittances"): "weaponise"}, 0.4)
    events = move_events("Russia", moves, turn=2)
    assert [e.variable for e in events] == ["effort", "weaponised", "conditionality"]
    for e in events:
        assert e.at == 2 * QUARTERS_PER_TURN + 1 and e.duration == QUARTERS_PER_TURN and e.powers == ["Russia"]
    effort, weapon, cond = events
    assert (effort.op, effort.value, effort.states, effort.channels) == ("multiply", 2.0, ["Tajikistan"], ["security"])
    assert (weapon.op, weapon.value) == ("set", 1.0)
    assert (cond.op, cond.value, cond.states) == ("set", 0.4, [])


# --------------------------------------------------------------------------- sessions


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """Two teams, two turns of moves on the remittance shock, 12 members."""
    session = PlaySession.start("remittance_shock", teams=2, turns=2, members=12)
    session.submit("Russia", {"effort": {"Tajikistan": {"security": 3}}, "weapon": {"TJ": {"remittances": "stop"}}})
    session.submit("China", {"effort": {"Kyrgyzstan": {"fdi": 3, "trade": 2}}})
    session.advance()
    session.submit("China", {"conditionality": 0})
    session.advance()
    return session


def test_session_defaults_and_bad_settings():
    session = PlaySession.start("remittance_shock", teams=3)
    assert session.powers == ("Russia", "China", "EU") and session.turns == 5
    assert session.scenario.horizon == 5 * QUARTERS_PER_TURN and session.year() == "2026Q1-2026Q4"
    assert len(set(session.tokens.values())) == 3 and session.teacher_key not in session.tokens.values()
    assert PlaySession.start("baseline", powers=["eu", "TR"]).powers == ("EU", "Turkey")
    from casim.errors import CasimError

    for kwargs, needle in (
        ({"teams": 6}, "expected 1 to 5 teams"),
        ({"turns": 11}, "expected 1 to 10 turns"),
        ({"members": 0}, "expected 1 to 200 members"),
        ({"powers": ["Rusia"]}, "Russia"),
        ({"powers": ["EU", "eu"]}, "one team only"),
        ({"teams": 1, "powers": ["EU", "US"]}, "--teams 1 but --powers names 2"),
    ):
        with pytest.raises(CasimError) as caught:
            PlaySession.start("remittance_shock", **kwargs)
        assert needle in str(caught.value)


def test_turns_commit_pending_moves_and_end_the_session(played):
    assert played.finished and played.turn == 2 and not played.pending
    assert played.history[0]["China"].effort == {("Kyrgyzstan", "fdi"): 3.0, ("Kyrgyzstan", "trade"): 2.0}
    assert played.history[1]["Russia"].empty  # no submission: the power's own behaviour
    assert played.history[1]["China"].conditionality == 0.0
    with pytest.raises(MoveError, match="over"):
        played.submit("Russia", {})
    with pytest.raises(MoveError, match="over"):
        played.advance()
    fresh = PlaySession.start("remittance_shock", teams=1, turns=1, members=2)
    with pytest.raises(MoveError, match="no team steers China"):
        fresh.submit("China", {})


def test_no_moves_reproduce_the_no_intervention_run_exactly():
    session = PlaySession.start("remittance_shock", teams=2, turns=2, members=6)
    session.advance()
    session.advance()
    alignment = session.run()
    assert np.array_equal(alignment.sel(case="played").values, alignment.sel(case="no_intervention").values)
    result = debrief(session)
    assert result.method == "none" and result.by_channel.empty
    assert (result.change()[["change", "change_p05", "change_p95"]] == 0).all().all()


def test_debrief_split_adds_up_and_names_the_move_that_mattered(played):
    result = debrief(played)
    end = result.alignment.isel(quarter=-1)
    total = (end.sel(case="played") - end.sel(case="no_intervention")).mean("member")
    for table in (result.by_channel, result.by_team):
        sums = table.groupby(["state", "pole"], sort=False)["contribution"].sum()
        for (state, pole), value in sums.items():
            assert value == pytest.approx(float(total.sel(state=state, pole=pole)), abs=1e-6)
    assert set(result.by_channel["group"]) == {"security", "remittances", "fdi", "trade", "conditionality"}
    assert set(result.by_team["group"]) == {"Russia", "China"}
    # Russia's tripled security effort in Tajikistan pulls Tajikistan toward Russia, in every
    # member band, and it is the largest single contribution there
    change = result.change().set_index(["state", "power"])
    assert change.loc[("Tajikistan", "Russia"), "change_p05"] > 0
    tj = result.by_channel[(result.by_channel["state"] == "Tajikistan") & (result.by_channel["pole"] == "Russia")]
    assert tj.set_index("group")["contribution"].idxmax() == "security"
    # China's moves were all in Kyrgyzstan and Kazakhstan-free: they do not move Turkmenistan toward China much
    assert abs(change.loc[("Turkmenistan", "China"), "change"]) < change.loc[("Kyrgyzstan", "China"), "change"]


def test_saved_session_replays_to_the_same_numbers(played, tmp_path):
    path = played.save(tmp_path / "session.json")
    again = PlaySession.load(path)
    assert again.history == played.history and again.powers == played.powers and again.tokens == played.tokens
    assert np.array_equal(again.run().values, played.run().values)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{", "not a JSON file"),
        ('{"format": "other"}', "not a casim play session"),
        ('{"format": "casim-play-session", "powers": ["Russia"]}', "damaged"),
    ],
)
def test_damaged_session_files_are_refused(tmp_path, text, needle):
    path = tmp_path / "s.json"
    path.write_text(text)
    result = invoke("play", "--replay", path, "--out", tmp_path / "d")
    assert_clean(result, 2, needle)
    assert not (tmp_path / "d").exists()


def test_session_with_bad_moves_in_the_file_is_refused(played, tmp_path):
    data = played.to_json()
    data["history"][0]["Russia"]["effort"]["Tajikistan"]["security"] = 99
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    assert_clean(invoke("play", "--replay", path, "--out", tmp_path / "d"), 2, "expected a number from 0 to 3")


# --------------------------------------------------------------------------- CLI


def test_replay_writes_the_debrief(played, tmp_path):
    path = played.save(tmp_path / "session.json")
    out = tmp_path / "debrief"
    result = invoke("play", "--replay", path, "--out", out)
    assert_clean(result, 0, "debrief of 2 turn(s) written")
    assert {p.name for p in out.iterdir()} == {
        "paths.png",
        "attribution.png",
        "changes.csv",
        "by_channel.csv",
        "by_team.csv",
        "session.json",
    }
    assert (out / "paths.png").stat().st_size > 30_000
    header = (out / "changes.csv").read_text().splitlines()[0]
    assert header == "state,power,change,change_p05,change_p95,no_intervention,played"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["play", "remittance_shock", "--teams", "6"], 2, "Invalid value"),
        (["play", "remittance_shock", "--powers", "Rusia"], 2, "did you mean 'Russia'"),
        (["play", "remitance_shock"], 2, "did you mean 'remittance_shock'"),
        (["play", "remittance_shock", "--out", "x"], 2, "give --replay FILE"),
        (["play", "--replay", "nope.json"], 2, "cannot read the session file"),
        (["play", "--replay", "/dev/zero"], 2, "not a session file"),
        (["play", "--replay", "."], 2, "not a session file"),
    ],
)
def test_play_command_bad_input(args, code, needle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_clean(invoke(*args), code, needle)


def test_replay_refuses_new_settings(played, tmp_path):
    path = played.save(tmp_path / "session.json")
    assert_clean(invoke("play", "--replay", path, "--teams", "2"), 2, "keeps its scenario")


# --------------------------------------------------------------------------- HTTP


@pytest.fixture()
def server(tmp_path):
    """A served two-team, two-turn session on a free port; yields (base url, session, save path)."""
    from casim.playserver import PlayState, make_server

    session = PlaySession.start(short_scenario(tmp_path, horizon=8), teams=2, turns=2, members=6)
    save = tmp_path / "session.json"
    state = PlayState(session, save)
    httpd = make_server(state, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", session, save, state
    httpd.shutdown()
    httpd.server_close()


def call(url: str, data: object = None, raw: bytes | None = None) -> tuple[int, bytes]:
    body = raw if raw is not None else (json.dumps(data).encode() if data is not None else None)
    request = urllib.request.Request(url, data=body, method="POST" if body is not None or data == {} else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_roles_and_bounds_over_http(server):
    base, session, save, state = server
    russia, china = session.tokens["Russia"], session.tokens["China"]
    key = session.teacher_key
    assert call(f"{base}/")[0] == 200
    assert call(f"{base}/teacher")[0] == 403 and call(f"{base}/teacher?key={russia}")[0] == 403
    assert call(f"{base}/team?token=wrong")[0] == 403
    assert call(f"{base}/api/state")[0] == 403

    # a team's state shows its own levers and moves, never another team's token or the key
    code, body = call(f"{base}/api/state?token={russia}")
    seen = json.loads(body)
    assert code == 200 and seen["power"] == "Russia" and "teams" not in seen
    assert key not in body.decode() and china not in body.decode()

    code, body = call(f"{base}/api/moves?token={russia}", {"effort": {"TJ": {"security": 9}}})
    assert code == 422 and "from 0 to 3" in json.loads(body)["error"]
    assert call(f"{base}/api/moves?token={russia}", raw=b"not json")[0] == 400
    assert call(f"{base}/api/moves?token={russia}", raw=b" " * (MAX_SUBMISSION + 1))[0] == 413
    assert call(f"{base}/api/moves?token=wrong", {"effort": {}})[0] == 403
    code, _ = call(f"{base}/api/moves?token={russia}", {"effort": {"TJ": {"security": 3}}})
    assert code == 200 and session.pending["Russia"].effort == {("Tajikistan", "security"): 3.0}

    assert call(f"{base}/api/advance?token={russia}", {})[0] == 403  # teams cannot end turns
    assert call(f"{base}/figure/paths.png")[0] == 409  # no debrief before the last turn
    code, _ = call(f"{base}/api/advance?key={key}", {})
    assert code == 200 and session.turn == 1
    assert json.loads(save.read_text())["history"][0]["Russia"]["effort"] == {"Tajikistan": {"security": 3.0}}

    code, png = call(f"{base}/figure/session.png?token={china}")
    assert code == 200 and png.startswith(b"\x89PNG")
    assert call(f"{base}/figure/session.png")[0] == 403
    assert call(f"{base}/session.json?token={russia}")[0] == 403
    assert json.loads(call(f"{base}/session.json?key={key}")[1])["format"] == "casim-play-session"

    assert call(f"{base}/api/advance?key={key}", {})[0] == 200 and session.finished
    assert call(f"{base}/api/moves?token={russia}", {"effort": {}})[0] == 422  # over
    assert call(f"{base}/api/advance?key={key}", {})[0] == 409
    for _ in range(200):  # the debrief is prepared in the background
        if state.debrief_status != "preparing":
            break
        threading.Event().wait(0.1)
    assert state.debrief_status == "ready", state.debrief_error
    code, page = call(f"{base}/debrief")
    assert code == 200 and b"Which moves mattered" in page
    assert b"effort \xc3\x973 security in Tajikistan" in page  # the moves, turn by turn
    assert call(f"{base}/figure/attribution.png")[0] == 200


def test_a_port_in_use_is_refused_with_a_free_one(tmp_path, monkeypatch):
    import socket

    from casim.appserver import free_port

    monkeypatch.chdir(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()
        port = sock.getsockname()[1]
        result = invoke(
            "play",
            short_scenario(tmp_path, horizon=4),
            "--turns",
            "1",
            "-n",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            port,
        )
    assert_clean(result, 2, f"127.0.0.1:{port}", "did you mean '--port")


def test_each_team_is_told_what_the_scenario_already_makes_its_power_do():
    from casim.playserver import scenario_events

    session = PlaySession.start("remittance_shock", teams=2, turns=1, members=2)
    russia = scenario_events(session, "Russia")
    assert len(russia) == 2 and "Tighter migration rules" in russia[0] and "for 12 quarters" in russia[0]
    assert "Tajikistan, Kyrgyzstan, Uzbekistan" in russia[0]
    assert scenario_events(session, "China") == []


def test_links_for_the_classroom_network_name_a_reachable_address():
    from casim.cli_classroom import lan_address

    address = lan_address()
    assert address and address != "0.0.0.0"


def test_a_failing_turn_is_reported_and_the_server_keeps_serving(server, monkeypatch):
    base, session, _, state = server

    def broken(self):
        raise RuntimeError("the model could not run")

    monkeypatch.setattr(type(state), "_run", broken)
    code, body = call(f"{base}/api/advance?key={session.teacher_key}", {})
    assert code == 500 and "the model could not run" in json.loads(body)["error"]
    assert call(f"{base}/")[0] == 200  # still serving


def test_an_oversized_session_file_is_refused_before_it_is_read(tmp_path):
    from casim.play import MAX_SESSION_BYTES

    path = tmp_path / "big.json"
    with path.open("wb") as f:
        f.truncate(MAX_SESSION_BYTES + 1)
    assert_clean(invoke("play", "--replay", path, "--out", tmp_path / "d"), 2, "too large for a session file")
