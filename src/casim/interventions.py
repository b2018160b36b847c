"""Interventions: timed and random changes to what the model uses each quarter.

An intervention names a *target* (a channel flow, a power variable, a driver such as a
backlash against migrants, or any parameter read during the run), selects elements of
it (powers, states, channels, citizen audiences), and changes it with ``multiply``,
``add`` or ``set``, ramped in over ``ramp`` quarters, for ``duration`` quarters or for
good. Interventions modify the *effective* value each quarter; the stocks beneath keep
their own dynamics, so when an intervention ends the model returns to its own course.

Random events carry the same change but fire with a probability per quarter, drawn
per member from the member's own stream (:func:`casim.rng.event_uniforms`).

A change may name its **authors** (``by``): the powers the states hold responsible for it.
A cut in another power's flow (secondary sanctions drying up trade with Russia) is then
blamed on its authors, not on the power whose flow it is; help (technical water
cooperation) is credited to its authors. :meth:`Schedule.apply_attributed` returns each
authored change separately so the model can attribute it (:func:`casim.channels.attribute`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from casim import names, rng
from casim.names import DIMENSIONS, UnknownName
from casim.parameters import ParamArrays, ParameterError, ParameterSet

OPS = ("multiply", "add", "set")
#: Largest factor a ``multiply`` change may use (and the cap on effort, a ratio).
MAX_FACTOR = 10.0
WEAPONISED = "weaponised"  # the target key whose "set" switches weaponisation on


@dataclass(frozen=True)
class Target:
    """Something an intervention can change.

    Attributes:
        name: Target name used in scenarios.
        dims: Axes after the member axis.
        unit: Unit of the effective value.
        description: What it is.
        bounds: Limits the effective value is clipped to.
        param: For targets that are parameters under a friendly name, the parameter path.
    """

    name: str
    dims: tuple[str, ...]
    unit: str
    description: str
    bounds: tuple[float, float] = (-math.inf, math.inf)
    param: str | None = None


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "flow",
            ("state", "power", "channel"),
            "fraction of GDP (index for security, media, education)",
            "flow from a power to a state in a channel",
            # twice GDP: above the largest channel the parameter file allows (trade, 2.0)
            (0.0, 2.0),
        ),
        Target(
            "substitutability",
            ("state", "channel"),
            "fraction",
            "share of a lost flow the state can replace from others",
            (0.0, 1.0),
        ),
        Target(
            "effort",
            ("state", "power", "channel"),
            "ratio to baseline effort",
            "investment effort of a power in a channel toward a state",
            (0.0, MAX_FACTOR),
        ),
        Target(
            WEAPONISED,
            ("state", "power", "channel"),
            "0-1",
            "a power weaponises a channel against a state (migrant restrictions, pipeline "
            "disruption, phytosanitary bans, sanctions)",
            (0.0, 1.0),
        ),
        Target("backlash", ("state", "power"), "0-1", "hostility of a power toward migrants from a state", (0.0, 1.0)),
        Target(
            "opinion_shift",
            ("state", "power", "audience"),
            "favourability",
            "push on what citizens of an audience feel toward a power",
            (-1.0, 1.0),
        ),
        Target(
            "crisis",
            ("state",),
            "stability per quarter",
            "pressure on regime stability (unrest, coup attempt)",
            (0.0, 1.0),
        ),
        Target("credibility", ("state", "power"), "index (0-1)", "credibility a state grants a power", (0.0, 1.0)),
        Target("capability", ("power",), "index (0-1)", "hard capability of a power", (0.0, 1.0)),
        Target("threat", ("state", "power"), "index (0-1)", "threat a state perceives from a power", (0.0, 1.0)),
        Target("water", ("state",), "availability (1 = normal)", "water available to a state", (0.0, 2.0)),
        Target(
            "water_governance",
            ("state",),
            "0-1",
            "technical water cooperation (monitoring, basin councils)",
            (0.0, 1.0),
        ),
        Target("anchor", ("state", "pole"), "share", "doctrine anchor of a state's alignment", (0.0, 1.0)),
        Target("cooperation", ("state", "partner"), "index (0-1)", "cooperation between pairs of states", (0.0, 1.0)),
        Target("russia_output_gap", (), "log points", "Russia's output gap (drives remittances)", (-1.0, 1.0)),
        Target(
            "ruble",
            (),
            "index (1 = start)",
            "real value of the ruble in dollars (0.55 = a 45 % fall); drives the dollar value of remittances from Russia",
            (0.05, 5.0),
        ),
        Target("coercion", ("power",), "index (0-1)", "a power's propensity to coerce", (0.0, 1.0), "powers.coercion"),
        Target(
            "conditionality",
            ("power",),
            "index (0-1)",
            "how far a power ties engagement to governance reforms",
            (0.0, 1.0),
            "powers.conditionality",
        ),
        Target(
            "visibility",
            ("power",),
            "index (0-1)",
            "how visible a power's projects are",
            (0.0, 1.0),
            "powers.visibility",
        ),
        Target(
            "care", ("power", "state"), "index (0-1)", "how much a power cares about a state", (0.0, 1.0), "powers.care"
        ),
        Target(
            "guarantee_propensity",
            ("power",),
            "probability scale",
            "willingness of a power to guarantee a regime in crisis",
            (0.0, 1.0),
            "powers.guarantee_propensity",
        ),
    )
}

#: Targets whose changes may name their authors (``by``), and how the model attributes them.
ATTRIBUTABLE = {
    "flow": "a cut (or rise) in a power's flow is held against (credited to) its authors, not the flow's power",
    "water_governance": "technical water cooperation is credited to its authors as help worth the damage it avoids",
}

_SELECTOR_OF_DIM = {
    "state": "states",
    "partner": "states",
    "power": "powers",
    "pole": "powers",
    "channel": "channels",
    "audience": "segments",
    "segment": "segments",
}


@dataclass(frozen=True)
class Intervention:
    """A change to a target, timed or random.

    Attributes:
        target: A key of :data:`TARGETS` or ``param:<dotted path>``.
        op: ``multiply``, ``add`` or ``set``.
        value: The factor, amount or level.
        start: First quarter (1-based index; quarter 0 is the start state) it is active.
            Ignored for random events.
        ramp: Quarters to reach full strength (1 = at once).
        duration: Quarters active from its start, or None for good.
        states, powers, channels, segments: Selected labels; empty selects all (for the
            ``audience`` axis, empty selects ``general``: every citizen).
        probability: For a random event, the chance per quarter and member that it fires.
        window: For a random event, the first and last quarter it may fire.
        max_occurrences: For a random event, how often it may fire per member.
        name: Label for reports.
        by: Powers the states hold responsible for the change (see :data:`ATTRIBUTABLE`).
    """

    target: str
    op: str
    value: float
    start: int = 1
    ramp: int = 1
    duration: int | None = None
    states: tuple[str, ...] = ()
    powers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    probability: float | None = None
    window: tuple[int, int] | None = None
    max_occurrences: int | None = None
    name: str = ""
    by: tuple[str, ...] = ()

    @property
    def is_random(self) -> bool:
        return self.probability is not None


def target_info(target: str, params: ParameterSet) -> tuple[tuple[str, ...], tuple[float, float], str | None]:
    """Dims, bounds and parameter path (or None) of ``target``.

    Raises:
        ParameterError: for an unknown target or parameter path, with a suggestion.
    """
    if target.startswith("param:"):
        path = target[len("param:") :]
        param = params[path]
        return param.dims, param.bounds, param.path
    if target not in TARGETS:
        raise ParameterError("", f"'{target}' is not a target", names.suggest(target, TARGETS))
    info = TARGETS[target]
    if info.param is not None:
        return params[info.param].dims, info.bounds, info.param
    return info.dims, info.bounds, None


def selection_mask(iv: Intervention, dims: Sequence[str]) -> np.ndarray:
    """Boolean mask of shape ``(1, *dims)`` of the elements ``iv`` selects."""
    mask = np.ones([1] + [len(DIMENSIONS[d]) for d in dims], dtype=bool)
    for axis, dim in enumerate(dims, start=1):
        wanted = getattr(iv, _SELECTOR_OF_DIM[dim])
        if dim == "audience" and not wanted:
            wanted = ("general",)
        if not wanted:
            continue
        keep = np.zeros(len(DIMENSIONS[dim]), dtype=bool)
        for label in wanted:
            try:
                keep[names.index(dim, label)] = True
            except UnknownName:
                # Selectors naming another kind (a power on a state axis) select nothing here.
                continue
        shape = [1] * mask.ndim
        shape[axis] = keep.size
        mask &= keep.reshape(shape)
    return mask


def timed_weights(iv: Intervention, horizon: int) -> np.ndarray:
    """Strength (0-1) of a timed intervention in quarters ``0..horizon``."""
    t = np.arange(horizon + 1)
    k = t - iv.start + 1
    w = np.clip(k / max(iv.ramp, 1), 0.0, 1.0)
    if iv.duration is not None:
        w[t >= iv.start + iv.duration] = 0.0
    w[t < max(iv.start, 1)] = 0.0
    return w


def random_weights(iv: Intervention, u: np.ndarray) -> np.ndarray:
    """Strength ``(n, horizon + 1)`` of a random event given its uniforms ``u`` ``(n, horizon)``.

    The event fires in quarter ``t`` when ``u[:, t-1] < probability``, inside its window,
    if it is not already active and has fired fewer than ``max_occurrences`` times.
    """
    n, horizon = u.shape
    w = np.zeros((n, horizon + 1))
    since = np.full(n, -1)
    count = np.zeros(n, dtype=int)
    first, last = iv.window or (1, horizon)
    limit = iv.max_occurrences if iv.max_occurrences is not None else horizon + 1
    for t in range(1, horizon + 1):
        if iv.duration is not None:  # an event that has run its course ends before new draws
            since[(since >= 0) & (t - since >= iv.duration)] = -1
        can = (since < 0) & (count < limit) & (first <= t <= last)
        fire = can & (u[:, t - 1] < iv.probability)
        since[fire] = t
        count += fire
        on = since >= 0
        w[on, t] = np.minimum(1.0, (t - since[on] + 1) / max(iv.ramp, 1))
    return w


@dataclass
class _Compiled:
    iv: Intervention
    key: str  # target name or parameter path
    mask: np.ndarray
    weights: np.ndarray  # (T+1,) or (n, T+1)
    bounds: tuple[float, float]
    authors: tuple[int, ...] = ()  # positions on the power axis of the powers held responsible


class Schedule:
    """Interventions compiled for one batch of members.

    Args:
        interventions: Timed interventions and random events.
        params: The declared parameters (to resolve ``param:`` targets).
        horizon: Number of quarters simulated.
        members: Global member indices of the batch (random events draw per member).
        seed: The run's seed.
        dynamic_params: Parameter paths the model reads every quarter; interventions on
            other parameters are rejected because they could not take effect.
    """

    def __init__(
        self,
        interventions: Sequence[Intervention],
        params: ParameterSet,
        horizon: int,
        members: Sequence[int],
        seed: int,
        dynamic_params: frozenset[str],
    ):
        self.items: list[_Compiled] = []
        for number, iv in enumerate(interventions):
            if iv.op not in OPS:
                raise ParameterError(
                    "", f"op must be one of {', '.join(OPS)}, got '{iv.op}'", names.suggest(iv.op, OPS)
                )
            dims, bounds, path = target_info(iv.target, params)
            if path is not None and path not in dynamic_params:
                raise ParameterError(path, "is only used to build the start state; change it with an override instead")
            if iv.is_random:
                weights = random_weights(iv, rng.event_uniforms(seed, members, number, horizon))
            else:
                weights = timed_weights(iv, horizon)
            key = path if path is not None else iv.target
            if iv.by and key not in ATTRIBUTABLE:
                raise ParameterError(
                    "", f"'{iv.target}' changes cannot name authors ('by' applies to: {', '.join(ATTRIBUTABLE)})"
                )
            authors = tuple(sorted({names.index("power", name) for name in iv.by}))
            self.items.append(_Compiled(iv, key, selection_mask(iv, dims), weights, bounds, authors))
        self.keys = frozenset(item.key for item in self.items)
        #: Keys the model asked for (a test checks every target is consumed by the step).
        self.applied: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.items)

    def targets(self, key: str) -> bool:
        """Whether any intervention changes ``key`` (a target name or parameter path)."""
        return key in self.keys

    def _change(self, item: _Compiled, out: np.ndarray, t: int, dtype: np.dtype) -> np.ndarray | None:
        """``out`` changed by one intervention at quarter ``t`` (None when it is not active)."""
        w = item.weights[..., t]
        if not np.any(w):
            return None
        w = np.asarray(w, dtype=dtype).reshape((-1,) + (1,) * (out.ndim - 1))
        v = np.asarray(item.iv.value, dtype=dtype)
        out = np.broadcast_to(out, np.broadcast_shapes(out.shape, w.shape, item.mask.shape))
        if item.iv.op == "multiply":
            changed = out * (1 + w * (v - 1))
        elif item.iv.op == "add":
            changed = out + w * v
        else:
            changed = out + w * (v - out)
        return np.clip(np.where(item.mask, changed, out), *item.bounds).astype(dtype)

    def apply(self, key: str, arr: np.ndarray, t: int) -> np.ndarray:
        """Return ``arr`` (leading member axis) changed by the interventions on ``key`` at quarter ``t``."""
        return self.apply_attributed(key, arr, t)[0]

    def apply_attributed(
        self, key: str, arr: np.ndarray, t: int
    ) -> tuple[np.ndarray, list[tuple[tuple[int, ...], np.ndarray]]]:
        """Like :meth:`apply`, also returning each authored change.

        Returns:
            The changed array and a list of ``(author indices on the power axis, before - after)``
            for every active intervention that names authors, in the order applied.
        """
        self.applied.add(key)
        if key not in self.keys:
            return arr, []
        out, parts = arr, []
        for item in self.items:
            if item.key != key:
                continue
            changed = self._change(item, out, t, arr.dtype)
            if changed is None:
                continue
            if item.authors:
                parts.append((item.authors, np.broadcast_to(out, changed.shape) - changed))
            out = changed
        return out, parts

    def parameter_view(self, params: ParamArrays, t: int) -> dict[str, np.ndarray]:
        """Effective values at quarter ``t`` of every parameter an intervention targets."""
        return {key: self.apply(key, params[key], t) for key in self.keys if key not in TARGETS}
