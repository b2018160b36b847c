"""Explaining a scenario: which channels moved each state's alignment, and by how much.

**Method: a Shapley split over mechanisms.** A government's alignment responds to what it
perceives: each channel's flows, leverage and withheld stake, public opinion, threat,
credibility, and the rest (capability, care, conditionality, cooperation, guarantees,
GDP, doctrine anchor) — the *players*, :data:`casim.government.PLAYERS`. For a coalition
``S`` of players, ``v(S)`` is the scenario run in which governments perceive the
scenario's values for the players in ``S`` and the baseline's recorded values for the
others, while the world evolves with all its feedbacks (:mod:`casim.counterfactual`).
``v(none)`` reproduces the baseline exactly and ``v(all)`` the scenario exactly, so the
Shapley values

    phi_j = sum over S without j of |S|! (k - |S| - 1)! / k! [v(S + j) - v(S)]

split each member's change ``v(all) - v(none)`` into parts that add up to it exactly
(efficiency), for every member, quarter, state and pole; interactions between channels
are shared fairly. Only *active* players (whose perceived values differ from the
baseline somewhere) take part; the others contribute exactly zero.

Players are first screened by their first-order effect (only that player perceived):
those below :data:`MINOR` of the largest change are merged into one group, which then
plays as a single player (a Shapley game over groups, still exactly efficient). With up
to :data:`EXACT_UP_TO` groups every coalition is run (at most 128); beyond, the split
averages the marginal contributions along random permutations of the groups (antithetic
pairs), which is still exactly efficient for every permutation. All
coalitions of all members run in one vectorised pass: coalitions are stacked on the
member axis, each row reusing its member's random streams (common random numbers).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from casim.counterfactual import Counterfactual
from casim.executors import release
from casim.experiment import run_experiment
from casim.government import CHANNEL_FIELDS, FIELD_PLAYER, PLAYERS
from casim.model import CentralAsiaModel
from casim.names import CHANNELS, POLES, STATES
from casim.results import QUANTILES, peak_quarter, quantiles
from casim.scenario import Scenario

EXACT_UP_TO = 7
PERMUTATIONS = 16
#: Players whose first-order effect is below this share of the largest change are grouped.
MINOR = 0.02
ROWS_PER_MODEL = 400
#: Spawn key of the stream that draws permutations (far above any member index).
PERMUTATION_STREAM = 2**40 + 7
LABELS = {
    **{c: c for c in CHANNELS},
    "opinion": "public opinion",
    "threat": "threat perception",
    "credibility": "credibility",
    "other": "other (capability, conditions, cooperation, guarantees, doctrine)",
}

Progress = Callable[[int, int], None]


@dataclass
class Explanation:
    """A scenario's change in alignment split into the contributions of mechanisms.

    Attributes:
        scenario: The resolved scenario.
        players: Labels of the players (single mechanisms or merged minor ones).
        contributions: ``(player, member, quarter, state, pole)`` Shapley values.
        total: ``(member, quarter, state, pole)`` scenario minus baseline.
        method: ``exact`` or ``sampled``.
        coalitions: Coalition runs made (including the baseline and the full scenario).
        labels: Quarter labels.
        groups: The mechanisms behind each player.
    """

    scenario: Scenario
    players: list[str]
    contributions: np.ndarray
    total: np.ndarray
    method: str
    coalitions: int
    labels: list[str]
    groups: list[tuple[str, ...]] | None = None

    @property
    def residual(self) -> np.ndarray:
        """Total minus the sum of the parts, ``(member, quarter, state, pole)`` (zero up to rounding)."""
        return self.total - self.contributions.sum(axis=0)

    def to_dataset(self) -> xr.Dataset:
        coords = {
            "player": self.players,
            "member": np.arange(self.total.shape[0]),
            "quarter": np.arange(self.total.shape[1]),
            "state": list(STATES),
            "pole": list(POLES),
            "label": ("quarter", self.labels),
        }
        return xr.Dataset(
            {
                "contribution": (
                    ("player", "member", "quarter", "state", "pole"),
                    self.contributions,
                    {"units": "share", "description": "Shapley contribution to the change in alignment"},
                ),
                "total": (
                    ("member", "quarter", "state", "pole"),
                    self.total,
                    {"units": "share", "description": "change in alignment versus the baseline"},
                ),
            },
            coords=coords,
            attrs={
                "scenario": self.scenario.name,
                "method": self.method,
                "coalitions": self.coalitions,
                "members": int(self.total.shape[0]),
                "seed": int(self.scenario.seed),
            },
        )

    def peak_quarter(self, state: str | None = None) -> int:
        """Quarter of the largest median absolute change toward any pole (for one state, or all):
        :func:`casim.results.peak_quarter`."""
        total = xr.DataArray(self.total, dims=("member", "quarter", "state", "pole"), coords={"state": list(STATES)})
        if state is not None:
            return int(peak_quarter(total.sel(state=state), over=("pole",)))
        return int(peak_quarter(total, over=("state", "pole")))

    def table(self, quarter: int) -> pd.DataFrame:
        """Contributions at ``quarter``: state, pole, part (a player, total or residual), mean, p05, p50, p95.

        Means add up: the players' means sum to the total's mean (up to rounding).
        """
        rows = []
        parts = [(p, self.contributions[k]) for k, p in enumerate(self.players)]
        parts += [("total", self.total), ("residual", self.residual)]
        for name, values in parts:
            at = values[:, quarter]  # (member, state, pole)
            mean = at.mean(axis=0)
            q = quantiles(at, QUANTILES, axis=0)
            for i, state in enumerate(STATES):
                for k, pole in enumerate(POLES):
                    rows.append(
                        {
                            "quarter": self.labels[quarter],
                            "state": state,
                            "pole": pole,
                            "part": name,
                            "mean": float(mean[i, k]),
                            "p05": float(q[0, i, k]),
                            "p50": float(q[1, i, k]),
                            "p95": float(q[2, i, k]),
                        }
                    )
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """Every quarter's table (for ``contributions.csv``)."""
        return pd.concat([self.table(q) for q in range(self.total.shape[1])], ignore_index=True)


def _mechanism(log: dict[str, np.ndarray], player: str) -> list[np.ndarray]:
    """The recorded input arrays that belong to ``player``."""
    if player in CHANNELS:
        c = CHANNELS.index(player)
        return [log[f][..., c] for f in CHANNEL_FIELDS]
    return [log[f] for f, owner in FIELD_PLAYER.items() if owner == player]


def active_players(reference: dict[str, np.ndarray], scenario: dict[str, np.ndarray]) -> list[str]:
    """Players whose perceived values differ between the two runs anywhere."""
    return [
        p
        for p in PLAYERS
        if any(not np.array_equal(a, b) for a, b in zip(_mechanism(reference, p), _mechanism(scenario, p), strict=True))
    ]


def coalitions_to_run(k: int, seed: int, exact_up_to: int, permutations: int) -> tuple[str, list[tuple[int, ...]]]:
    """Orders of players to walk: every permutation-free subset (exact) or sampled permutations."""
    if k <= exact_up_to:
        return "exact", []
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(PERMUTATION_STREAM,))))
    orders = []
    for _ in range(max(permutations // 2, 1)):
        order = tuple(int(x) for x in gen.permutation(k))
        orders += [order, order[::-1]]  # antithetic pair
    return "sampled", orders


def subsets_to_run(k: int, method: str, orders: list[tuple[int, ...]]) -> list[frozenset]:
    """The coalitions (subsets of players ``0..k-1``) whose values a Shapley split needs."""
    if method == "exact":
        return [frozenset(c) for r in range(k + 1) for c in itertools.combinations(range(k), r)]
    return list({frozenset(order[:j]) for order in orders for j in range(k + 1)})


def shapley_values(
    k: int, method: str, orders: list[tuple[int, ...]], value: dict[frozenset, np.ndarray]
) -> np.ndarray:
    """Each player's Shapley value, ``(k, *value shape)``: exact over every coalition, or the
    mean marginal contribution along the sampled ``orders`` (:func:`coalitions_to_run`).
    The values add up to ``v(all) - v(none)`` exactly in both cases."""
    shape = next(iter(value.values())).shape
    contributions = np.zeros((k, *shape))
    if method == "exact":
        for j in range(k):
            for s in value:
                if j in s:
                    continue
                weight = math.factorial(len(s)) * math.factorial(k - len(s) - 1) / math.factorial(k)
                contributions[j] += weight * (value[s | {j}].astype(np.float64) - value[s])
    else:
        for order in orders:
            taken: frozenset = frozenset()
            for j in order:
                contributions[j] += value[taken | {j}].astype(np.float64) - value[taken]
                taken = taken | {j}
        contributions /= len(orders)
    return contributions


def explain(
    scenario: Scenario | str | os.PathLike[str],
    *,
    members: int = 20,
    seed: int | None = None,
    exact_up_to: int = EXACT_UP_TO,
    permutations: int = PERMUTATIONS,
    progress: Progress | None = None,
) -> Explanation:
    """Split the scenario's change in alignment into the contributions of mechanisms.

    Args:
        scenario: A validated scenario or the path of a scenario file.
        members: Ensemble members.
        seed: Seed (default: the scenario's).
        exact_up_to: Largest number of active players for which every coalition is run.
        permutations: Permutations sampled beyond that (rounded down to antithetic pairs).
        progress: Called with ``(coalition rows done, rows total)``.
    """
    runs = run_experiment(scenario, members=members, seed=seed, outputs=["alignment"], log_inputs=True)
    scn, case = runs.scenario, runs.names[0]
    base_case = runs.baseline_of[case]
    ids = np.asarray(runs.data.member.values)
    scen_spec = runs.specs[case]
    v_none = runs.data.alignment.sel(case=base_case).values
    v_all = runs.data.alignment.sel(case=case).values
    reference_log, scenario_log = runs.inputs[base_case], runs.inputs[case]
    active = active_players(reference_log, scenario_log)
    values: dict[frozenset, np.ndarray] = {}
    # Screening: each active player alone (these runs also serve the exact split).
    alone = (
        _run_coalitions(scen_spec, scn.seed, ids, [frozenset([p]) for p in active], reference_log, progress)
        if active
        else {}
    )
    groups = _group(active, alone, v_none, v_all)
    k = len(groups)
    as_players = [frozenset(groups[j]) for j in range(k)]

    def players_of(s: frozenset) -> frozenset:
        return frozenset().union(*(as_players[j] for j in s)) if s else frozenset()

    method, orders = coalitions_to_run(k, scn.seed, exact_up_to, permutations)
    subsets = subsets_to_run(k, method, orders)
    everyone = frozenset(active)
    values = {frozenset(): v_none, everyone: v_all, **alone}
    todo = [players_of(s) for s in subsets if players_of(s) not in values]
    if todo:
        values.update(_run_coalitions(scen_spec, scn.seed, ids, todo, reference_log, progress))
    value = {s: values[players_of(s)] for s in subsets}
    contributions = shapley_values(k, method, orders, value)
    players = [_label(g) for g in groups]
    return Explanation(
        scenario=scn,
        players=players,
        contributions=contributions,
        total=v_all.astype(np.float64) - v_none,
        method=method,
        coalitions=len(values),
        groups=[tuple(g) for g in groups],
        labels=scen_spec.quarter_labels(),
    )


def _group(
    active: list[str], alone: dict[frozenset, np.ndarray], v_none: np.ndarray, v_all: np.ndarray
) -> list[list[str]]:
    """Players with a first-order effect below :data:`MINOR` of the largest change form one group."""
    scale = float(np.abs(v_all.astype(np.float64) - v_none).max())
    effect = {p: float(np.abs(alone[frozenset([p])].astype(np.float64) - v_none).max()) for p in active}
    scale = max([scale, *effect.values()])
    major = [[p] for p in active if effect[p] >= MINOR * scale]
    minor = [p for p in active if effect[p] < MINOR * scale]
    if minor:  # one player alone, or the minor ones merged into a group
        major.append(minor)
    return major


def _label(group: list[str]) -> str:
    if len(group) == 1:
        return LABELS[group[0]]
    return "minor: " + ", ".join(LABELS[p].split(" (")[0] for p in group)


def _run_coalitions(
    spec,
    seed: int,
    ids: np.ndarray,
    coalitions: list[frozenset],
    reference: dict[str, np.ndarray],
    progress: Progress | None,
) -> dict[frozenset, np.ndarray]:
    """Alignment of every coalition (a set of player names), all stacked on the member axis."""
    n = len(ids)
    keep = np.zeros((len(coalitions) * n, len(PLAYERS)), dtype=bool)
    for c, coalition in enumerate(coalitions):
        for name in coalition:
            keep[c * n : (c + 1) * n, PLAYERS.index(name)] = True
    rows = np.tile(np.arange(n), len(coalitions))
    member_ids = ids[rows]
    counterfactual = Counterfactual(reference, rows, keep)
    alignment = np.empty((len(rows), spec.horizon + 1, len(STATES), len(POLES)), np.float32)
    for start in range(0, len(rows), ROWS_PER_MODEL):
        chunk = np.arange(start, min(start + ROWS_PER_MODEL, len(rows)))
        model = CentralAsiaModel(
            spec, member_ids[chunk], seed, outputs=["alignment"], counterfactual=counterfactual.take(chunk)
        )
        alignment[chunk] = model.run()["alignment"]
        release(model)
        if progress is not None:
            progress(int(chunk[-1]) + 1, len(rows))
    return {coalition: alignment[c * n : (c + 1) * n] for c, coalition in enumerate(coalitions)}
