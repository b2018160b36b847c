"""``casim play``: a participatory classroom session on the model (in the manner of NetLogo's HubNet).

A teacher starts a session on a scenario; each team steers one external power. A *turn* is
one year (four quarters). In each turn a team sets its levers for every Central Asian
state:

* **effort** per state and channel: a factor on the power's own investment effort in that
  channel (1 = as the model's power would do anyway; 0 = withdraw; up to
  :data:`EFFORT_RANGE`'s top);
* **weaponise / stop** per state and channel: switch the power's weaponisation of the
  channel on for the year (``weaponise``) or off (``stop``, e.g. lift a scenario's
  sanctions), or leave it as the scenario has it (``keep``);
* **conditionality**: how far the power ties its engagement to governance reforms this
  year (:data:`CONDITIONALITY_RANGE`), or leave it.

Every move becomes an ordinary scenario event lasting the turn's four quarters
(:func:`move_events`), so a played session is a scenario like any other: the whole path is
re-run from the start with the moves so far, on common random numbers, and compared with
the *no-intervention* ensemble (the scenario without the teams' moves). Moves are checked
here, on the server side (:func:`parse_moves`): unknown names, values out of range and
oversized submissions are refused with a message, whatever the page sent.

After the last turn the debrief (:func:`debrief`) shows each state's path under the teams'
moves against the no-intervention band, and splits the difference at the end of the
session into the contributions of the moves, grouped by channel and by team, with the
Shapley split of :mod:`casim.explain` (exact for up to seven groups).

A session is saved after every turn (:meth:`PlaySession.save`, JSON, written atomically)
and can be replayed from that file: the moves and the scenario are all it holds, and the
numbers follow from them and the seed.

This module holds the session's logic only; :mod:`casim.playserver` serves it to browsers.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from casim import names
from casim.errors import CasimError
from casim.scenario import Event, Scenario, load_scenario, loads_scenario

#: Quarters per turn: one turn is one year.
QUARTERS_PER_TURN = 4
#: Turns of a session unless the teacher chooses (five years).
DEFAULT_TURNS = 5
#: Members of the session's ensemble: enough for a band, small enough for a turn in about a second.
DEFAULT_MEMBERS = 30
#: Most members a session may run (each turn re-runs the path; the debrief runs one case per
#: coalition of moves).
MAX_MEMBERS = 200
#: Bounds of the effort factor a team may set (1 = the power's own effort).
EFFORT_RANGE = (0.0, 3.0)
#: Bounds of the conditionality a team may set.
CONDITIONALITY_RANGE = (0.0, 1.0)
#: What a team may do with its weaponisation of a channel.
WEAPON_CHOICES = ("keep", "weaponise", "stop")
#: Largest submission accepted (characters of JSON): 5 states x 8 channels of levers fit in 4 kB.
MAX_SUBMISSION = 20_000
#: Groups of moves up to which the debrief's split is exact (2^7 = 128 coalitions).
EXACT_UP_TO = 7
FORMAT = "casim-play-session"
#: Largest session file read back (a long session with every lever moved is about 200 kB).
MAX_SESSION_BYTES = 5_000_000
VERSION = 1


class MoveError(ValueError):
    """A submission a team may not make (names the field and what was expected)."""


@dataclass(frozen=True)
class Moves:
    """One team's levers for one turn; levers left at their defaults are not stored.

    Attributes:
        effort: ``(state, channel) -> factor`` on the power's own effort.
        weapon: ``(state, channel) -> "weaponise" | "stop"``.
        conditionality: The power's conditionality this year, or None to leave it.
    """

    effort: dict[tuple[str, str], float] = field(default_factory=dict)
    weapon: dict[tuple[str, str], str] = field(default_factory=dict)
    conditionality: float | None = None

    @property
    def empty(self) -> bool:
        return not self.effort and not self.weapon and self.conditionality is None

    def to_json(self) -> dict[str, Any]:
        """Nested ``{"effort": {state: {channel: factor}}, "weapon": ..., "conditionality": x}``."""
        nested: dict[str, Any] = {"effort": {}, "weapon": {}}
        for key in ("effort", "weapon"):
            for (state, channel), value in sorted(getattr(self, key).items()):
                nested[key].setdefault(state, {})[channel] = value
        nested["conditionality"] = self.conditionality
        return nested

    def channels(self) -> set[str]:
        """Channels these moves touch."""
        return {c for _, c in self.effort} | {c for _, c in self.weapon}


def _number(value: Any, where: str, bounds: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MoveError(f"{where}: expected a number from {bounds[0]:g} to {bounds[1]:g}, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise MoveError(f"{where}: expected a number from {bounds[0]:g} to {bounds[1]:g}, got {value!r}") from None
    if not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        raise MoveError(f"{where}: expected a number from {bounds[0]:g} to {bounds[1]:g}, got {value!r}")
    return number


def _resolve(kind: str, name: Any, where: str) -> str:
    try:
        return names.resolve(kind, str(name))
    except names.UnknownName as error:
        hint = f"; did you mean '{error.suggestion}'?" if error.suggestion else ""
        raise MoveError(f"{where}: unknown {kind} '{str(name)[:40]}'{hint}") from None


def _table(raw: Any, where: str) -> list[tuple[str, str, Any]]:
    """Rows ``(state, channel, value)`` of a ``{state: {channel: value}}`` submission."""
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise MoveError(f"{where}: expected a table of states and channels")
    rows = []
    for state, by_channel in raw.items():
        s = _resolve("state", state, where)
        if not isinstance(by_channel, Mapping):
            raise MoveError(f"{where}.{s}: expected channels and values")
        for channel, value in by_channel.items():
            rows.append((s, _resolve("channel", channel, f"{where}.{s}"), value))
    return rows


def parse_moves(raw: Any) -> Moves:
    """Check a team's submission and turn it into :class:`Moves` (the server's only way in).

    Args:
        raw: ``{"effort": {state: {channel: factor}}, "weapon": {state: {channel: choice}},
            "conditionality": number or null}``; states and channels by name, code or alias.

    Raises:
        MoveError: naming the first field that is unknown, of the wrong type or out of range.
    """
    if not isinstance(raw, Mapping):
        raise MoveError("expected an object with effort, weapon and conditionality")
    unknown = set(raw) - {"effort", "weapon", "conditionality"}
    if unknown:
        raise MoveError(f"unknown lever '{sorted(unknown)[0]}' (expected effort, weapon, conditionality)")
    effort: dict[tuple[str, str], float] = {}
    for state, channel, value in _table(raw.get("effort"), "effort"):
        factor = _number(value, f"effort.{state}.{channel}", EFFORT_RANGE)
        if factor != 1.0:
            effort[(state, channel)] = factor
    weapon: dict[tuple[str, str], str] = {}
    for state, channel, value in _table(raw.get("weapon"), "weapon"):
        if value not in WEAPON_CHOICES:
            raise MoveError(f"weapon.{state}.{channel}: expected one of {', '.join(WEAPON_CHOICES)}, got {value!r}")
        if value != "keep":
            weapon[(state, channel)] = value
    conditionality = raw.get("conditionality")
    if conditionality is not None and conditionality != "":
        conditionality = _number(conditionality, "conditionality", CONDITIONALITY_RANGE)
    else:
        conditionality = None
    return Moves(effort, weapon, conditionality)


def move_events(power: str, moves: Moves, turn: int) -> list[Event]:
    """The scenario events of one team's moves in one turn (each lasts the turn's four quarters)."""
    at, when = turn * QUARTERS_PER_TURN + 1, f"year {turn + 1}"
    common = {"at": at, "duration": QUARTERS_PER_TURN, "powers": [power]}
    events = [
        Event(
            name=f"{power}: effort x{factor:g} in {channel} ({state}, {when})",
            variable="effort",
            states=[state],
            channels=[channel],
            op="multiply",
            value=factor,
            **common,
        )
        for (state, channel), factor in sorted(moves.effort.items())
    ]
    events += [
        Event(
            name=f"{power}: {choice} {channel} ({state}, {when})",
            variable="weaponised",
            states=[state],
            channels=[channel],
            op="set",
            value=1.0 if choice == "weaponise" else 0.0,
            **common,
        )
        for (state, channel), choice in sorted(moves.weapon.items())
    ]
    if moves.conditionality is not None:
        events.append(
            Event(
                name=f"{power}: conditionality {moves.conditionality:g} ({when})",
                variable="conditionality",
                op="set",
                value=moves.conditionality,
                **common,
            )
        )
    return events


@dataclass
class PlaySession:
    """A classroom session: a scenario, the powers the teams steer, and the moves of every turn.

    Attributes:
        scenario: The scenario played (its horizon is the session's turns x 4 quarters).
        powers: The power each team steers, in team order.
        turns: Number of turns (years).
        history: Committed moves, one ``{power: Moves}`` per turn played.
        pending: Moves submitted for the current turn (a team may change them until the
            teacher advances).
        tokens: Each team's secret (its page's link); ``teacher_key`` the teacher's.
        source: Where the scenario came from (for the record).
    """

    scenario: Scenario
    powers: tuple[str, ...]
    turns: int
    history: list[dict[str, Moves]] = field(default_factory=list)
    pending: dict[str, Moves] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    teacher_key: str = ""
    source: str = ""
    _reference: xr.DataArray | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def start(
        cls,
        scenario: Scenario | str | Path,
        *,
        teams: int | None = None,
        powers: Sequence[str] | None = None,
        turns: int | None = None,
        members: int | None = None,
        seed: int | None = None,
    ) -> PlaySession:
        """A new session.

        Args:
            scenario: A scenario, its file or its library name.
            teams: How many teams; they steer the first ``teams`` powers (Russia, China,
                EU, US, Turkey) unless ``powers`` names them.
            powers: The powers the teams steer (names, codes or aliases).
            turns: Years to play (default :data:`DEFAULT_TURNS`, at most the scenario's
                horizon in years).
            members: Ensemble members (default :data:`DEFAULT_MEMBERS`).
            seed: Seed (default: the scenario's).

        Raises:
            CasimError: for unknown powers, too many teams, or turns or members out of range.
        """
        source = "" if isinstance(scenario, Scenario) else str(scenario)
        scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        chosen = _powers(teams, powers)
        most = scn.horizon // QUARTERS_PER_TURN
        turns = DEFAULT_TURNS if turns is None else int(turns)
        if not 1 <= turns <= max(most, 1) or most < 1:
            raise CasimError(
                "--turns", 0, 0, "", f"expected 1 to {most} turns (years) for {scn.name}'s horizon, got {turns}"
            )
        members = DEFAULT_MEMBERS if members is None else int(members)
        if not 1 <= members <= MAX_MEMBERS:
            raise CasimError("--members", 0, 0, "", f"expected 1 to {MAX_MEMBERS} members for a session, got {members}")
        played = scn.resolved(horizon=turns * QUARTERS_PER_TURN, members=members, seed=seed)
        return cls(
            played,
            chosen,
            turns,
            tokens={p: secrets.token_urlsafe(6) for p in chosen},
            teacher_key=secrets.token_urlsafe(9),
            source=source,
        )

    # ------------------------------------------------------------------ turns
    @property
    def turn(self) -> int:
        """Turns played so far (the current turn's index)."""
        return len(self.history)

    @property
    def finished(self) -> bool:
        return self.turn >= self.turns

    def year(self, turn: int | None = None) -> str:
        """Label of a turn's year, e.g. ``2026Q1-2026Q4``."""
        turn = self.turn if turn is None else turn
        start = self.scenario.start_quarter() + turn * QUARTERS_PER_TURN
        return f"{start}-{start + (QUARTERS_PER_TURN - 1)}"

    def power_of(self, token: str) -> str | None:
        """The power whose team holds ``token`` (compared in constant time), or None."""
        for power, secret in self.tokens.items():
            if secrets.compare_digest(str(token), secret):
                return power
        return None

    def submit(self, power: str, raw: Any) -> Moves:
        """Record a team's moves for the current turn (replacing earlier ones this turn).

        Raises:
            MoveError: if the session is over, the power is not played, or a lever is invalid.
        """
        if self.finished:
            raise MoveError("the session is over: no more moves")
        if power not in self.powers:
            raise MoveError(f"no team steers {power} in this session")
        moves = parse_moves(raw)
        self.pending[power] = moves
        return moves

    def advance(self) -> None:
        """End the current turn: every team's moves are committed (no moves = the power's own behaviour)."""
        if self.finished:
            raise MoveError("the session is over")
        self.history.append({p: self.pending.get(p, Moves()) for p in self.powers})
        self.pending = {}

    # ------------------------------------------------------------------ scenarios
    def events(self, keep: set[tuple[str, str]] | None = None) -> list[Event]:
        """Events of the committed moves; with ``keep``, only moves whose (power, group) is in it
        (group: a channel, or ``conditionality``)."""
        out: list[Event] = []
        for turn, by_power in enumerate(self.history):
            for power, moves in by_power.items():
                if keep is not None:
                    moves = Moves(
                        {k: v for k, v in moves.effort.items() if (power, k[1]) in keep},
                        {k: v for k, v in moves.weapon.items() if (power, k[1]) in keep},
                        moves.conditionality if (power, "conditionality") in keep else None,
                    )
                out += move_events(power, moves, turn)
        return out

    def played(self, keep: set[tuple[str, str]] | None = None, name: str = "played") -> Scenario:
        """The scenario with the teams' committed moves (or the subset ``keep``) as extra events."""
        return self.scenario.model_copy(update={"name": name, "events": [*self.scenario.events, *self.events(keep)]})

    def no_intervention(self) -> Scenario:
        """The scenario without the teams' moves (the powers follow the model's own behaviour)."""
        return self.scenario.model_copy(update={"name": "no_intervention"})

    def moves_played(self) -> list[tuple[str, str]]:
        """Every (power, group) some committed move touched, in a stable order."""
        found = set()
        for by_power in self.history:
            for power, moves in by_power.items():
                found |= {(power, c) for c in moves.channels()}
                if moves.conditionality is not None:
                    found.add((power, "conditionality"))
        order = {g: k for k, g in enumerate([*names.CHANNELS, "conditionality"])}
        return sorted(found, key=lambda pg: (self.powers.index(pg[0]), order[pg[1]]))

    def run(self) -> xr.DataArray:
        """Alignment of the no-intervention and played cases so far, ``(case, member, quarter, state, pole)``.

        Both run on the session's members and seed (so on the same random numbers and parameter
        draws); the no-intervention case does not change from turn to turn and runs once."""
        from casim.api import simulate

        def alignment(scenario: Scenario) -> xr.DataArray:
            return simulate(scenario, outputs=["alignment"], executor="serial").alignment

        if self._reference is None:
            self._reference = alignment(self.no_intervention())
        return xr.concat([self._reference, alignment(self.played())], dim="case").assign_coords(
            case=["no_intervention", "played"]
        )

    # ------------------------------------------------------------------ saving
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": self.source,
            "scenario": self.scenario.to_yaml_dict(),
            "powers": list(self.powers),
            "turns": self.turns,
            "history": [{p: m.to_json() for p, m in by_power.items()} for by_power in self.history],
            "tokens": self.tokens,
            "teacher_key": self.teacher_key,
        }

    def save(self, path: str | Path) -> Path:
        """Write the session (scenario, teams, every committed turn) atomically."""
        from casim.folders import write_text_atomic

        return write_text_atomic(path, json.dumps(self.to_json(), indent=1), option="--save")

    @classmethod
    def load(cls, path: str | Path) -> PlaySession:
        """Read a saved session (for ``casim play --replay``).

        Raises:
            CasimError: if the file is not a casim play session or its moves are invalid.
        """
        import stat

        path = Path(path)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise CasimError(str(path), 0, 0, "", "not a session file (a folder, device or pipe)")
            if info.st_size > MAX_SESSION_BYTES:
                raise CasimError(str(path), 0, 0, "", f"too large for a session file ({info.st_size:,} bytes)")
            with path.open("rb") as f:
                data = json.loads(f.read(MAX_SESSION_BYTES + 1).decode("utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise CasimError(str(path), 0, 0, "", f"cannot read the session file ({error})") from None
        except json.JSONDecodeError as error:
            raise CasimError(str(path), error.lineno, error.colno, "", f"not a JSON file ({error.msg})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CasimError(str(path), 0, 0, "", f'not a casim play session (no "format": "{FORMAT}")')
        try:
            scenario = loads_scenario(yaml.safe_dump(data["scenario"]), f"{path} (scenario)")
            powers = _powers(None, data["powers"])
            history = [
                {_resolve("power", p, "history"): parse_moves(m) for p, m in by_power.items()}
                for by_power in data["history"]
            ]
            turns = int(data["turns"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise CasimError(str(path), 0, 0, "", f"the session file is damaged ({error})") from None
        if len(history) > turns or any(set(h) - set(powers) for h in history):
            raise CasimError(str(path), 0, 0, "history", "more turns or other powers than the session has")
        return cls(
            scenario,
            powers,
            turns,
            history,
            tokens={str(k): str(v) for k, v in dict(data.get("tokens", {})).items()},
            teacher_key=str(data.get("teacher_key", "")),
            source=str(data.get("source", "")),
        )


def _powers(teams: int | None, powers: Sequence[str] | None) -> tuple[str, ...]:
    if powers:
        chosen = []
        for p in powers:
            try:
                chosen.append(names.resolve("power", str(p)))
            except names.UnknownName as error:
                raise CasimError("--powers", 0, 0, "", str(error), suggestion=error.suggestion) from None
        if len(set(chosen)) != len(chosen):
            raise CasimError("--powers", 0, 0, "", "each power can be steered by one team only")
        if teams is not None and teams != len(chosen):
            raise CasimError("--teams", 0, 0, "", f"--teams {teams} but --powers names {len(chosen)} powers")
        return tuple(chosen)
    teams = len(names.POWERS) if teams is None else int(teams)
    if not 1 <= teams <= len(names.POWERS):
        raise CasimError("--teams", 0, 0, "", f"expected 1 to {len(names.POWERS)} teams (one per power), got {teams}")
    return names.POWERS[:teams]


# --------------------------------------------------------------------------- debrief


@dataclass
class Debrief:
    """What a finished (or replayed) session shows.

    Attributes:
        session: The session.
        alignment: ``(case, member, quarter, state, pole)`` for the cases ``no_intervention``
            and ``played``.
        by_channel: Contributions of the moves grouped by channel (all teams) to the change in
            alignment at the end, per state and pole (mean over members).
        by_team: The same grouped by team.
        method: ``exact`` or ``sampled`` (the Shapley split).
    """

    session: PlaySession
    alignment: xr.DataArray
    by_channel: pd.DataFrame
    by_team: pd.DataFrame
    method: str

    @property
    def labels(self) -> list[str]:
        return [str(q) for q in self.alignment["label"].values]

    def change(self) -> pd.DataFrame:
        """Change in each state's alignment toward each steered power at the end: median and
        90 % band of member-by-member differences, and the no-intervention band itself."""
        from casim.results import quantiles

        end = self.alignment.isel(quarter=-1)
        diff = (end.sel(case="played") - end.sel(case="no_intervention")).values  # (member, state, pole)
        rows = []
        poles = list(self.alignment["pole"].values)
        for i, state in enumerate(names.STATES):
            for power in self.session.powers:
                j = poles.index(power)
                low, mid, high = quantiles(diff[:, i, j][:, None], (0.05, 0.5, 0.95), axis=0)[:, 0]
                rows.append(
                    {
                        "state": state,
                        "power": power,
                        "change": float(mid),
                        "change_p05": float(low),
                        "change_p95": float(high),
                        "no_intervention": float(np.median(end.sel(case="no_intervention").values[:, i, j])),
                        "played": float(np.median(end.sel(case="played").values[:, i, j])),
                    }
                )
        return pd.DataFrame(rows)


def _split(
    session: PlaySession, groups: list[list[tuple[str, str]]], labels: list[str]
) -> tuple[pd.DataFrame, str, xr.DataArray]:
    """Shapley split of the played change at the end over ``groups`` of moves."""
    from casim.experiment import run_experiment
    from casim.explain import coalitions_to_run, shapley_values, subsets_to_run

    k = len(groups)
    method, orders = coalitions_to_run(k, session.scenario.seed, EXACT_UP_TO, 16)
    subsets = subsets_to_run(k, method, orders)
    scenarios = []
    for s in subsets:
        keep = {move for j in s for move in groups[j]}
        scenarios.append(session.played(keep, name="c" + "_".join(str(j) for j in sorted(s)) if s else "c"))
    runs = run_experiment(scenarios, outputs=["alignment"], executor="serial")
    end = runs.data.alignment.isel(quarter=-1)
    value = {s: end.sel(case=scn.name).values.astype(np.float64) for s, scn in zip(subsets, scenarios, strict=True)}
    contributions = shapley_values(k, method, orders, value).mean(axis=1)  # (group, state, pole)
    poles = [str(p) for p in end["pole"].values]
    rows = [
        {"group": labels[g], "state": state, "pole": pole, "contribution": float(contributions[g, i, j])}
        for g in range(k)
        for i, state in enumerate(names.STATES)
        for j, pole in enumerate(poles)
    ]
    full = end.sel(case=scenarios[subsets.index(frozenset(range(k)))].name)
    return pd.DataFrame(rows), method, full


def debrief(session: PlaySession) -> Debrief:
    """Paths, bands and the split of the teams' effect over channels and teams (any number of turns played)."""
    alignment = session.run()
    moves = session.moves_played()
    empty = pd.DataFrame(columns=["group", "state", "pole", "contribution"])
    if not moves:
        return Debrief(session, alignment, empty, empty.copy(), "none")
    channels = list(dict.fromkeys(g for _, g in moves))
    by_channel, method, _ = _split(session, [[m for m in moves if m[1] == c] for c in channels], channels)
    teams = list(dict.fromkeys(p for p, _ in moves))
    by_team, _, _ = _split(session, [[m for m in moves if m[0] == p] for p in teams], teams)
    return Debrief(session, alignment, by_channel, by_team, method)


def write_debrief(result: Debrief, out: str | Path) -> Path:
    """Write a debrief into a new folder, atomically: ``paths.png``, ``attribution.png``,
    ``changes.csv``, ``by_channel.csv``, ``by_team.csv`` and ``session.json``."""
    import matplotlib.pyplot as plt

    from casim import plots_play
    from casim.folders import atomic_folder

    session = result.session
    scn = session.scenario
    out = Path(out)
    with atomic_folder(out) as temp:
        figures = {
            "paths.png": plots_play.session_figure(
                result.alignment,
                list(session.powers),
                session.turn * QUARTERS_PER_TURN,
                scenario=scn.name,
                seed=scn.seed,
                title=f"Debrief: {scn.name}, the teams' moves against no intervention",
            ),
            "attribution.png": plots_play.attribution_figure(
                result.by_channel,
                list(session.powers),
                scenario=scn.name,
                members=result.alignment.sizes["member"],
                seed=scn.seed,
            ),
        }
        for name, fig in figures.items():
            fig.savefig(temp / name, dpi=100)
            plt.close(fig)
        result.change().to_csv(temp / "changes.csv", index=False, float_format="%.6g")
        result.by_channel.to_csv(temp / "by_channel.csv", index=False, float_format="%.6g")
        result.by_team.to_csv(temp / "by_team.csv", index=False, float_format="%.6g")
        (temp / "session.json").write_text(json.dumps(session.to_json(), indent=1), encoding="utf-8")
    return out
