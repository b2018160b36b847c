"""The state of the world: every stock as an array whose first axis is the ensemble member.

Axis conventions (after the member axis ``n``): ``i`` state (5), ``p`` power (5),
``k`` pole (6: the powers and autonomy), ``c`` channel (8), ``j`` partner state (5).
Tables indexed by power first in the parameter file (``powers.care``) are stored with
the state axis first here, so that every (state, power) array reads ``[n, i, p]``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from casim.names import CHANNELS, DIMENSIONS, POWERS, STATES
from casim.parameters import ParamArrays

DTYPE = np.float32
N_STATES, N_POWERS, N_CHANNELS = len(STATES), len(POWERS), len(CHANNELS)


def axis_sum(arr: np.ndarray, axis: int | tuple[int, ...], keepdims: bool = False) -> np.ndarray:
    """Sum over short axes by adding slices in order.

    NumPy picks the summation order of a reduction from the array's shape, so
    ``arr.sum(axis)`` can round differently for a member in a batch of 9 than for the same
    member alone. Adding slices one by one is elementwise, hence identical for every
    member whatever the batch size. Use this for all sums over the model's short axes
    (states, powers, poles, channels, segments); long citizen axes use NumPy's reduction
    along their contiguous last axis, which tests show to be batch-invariant.
    """
    axes = sorted((axis,) if isinstance(axis, int) else axis, reverse=True)
    out = arr
    for ax in axes:
        ax = ax % out.ndim
        pre = (slice(None),) * ax  # index the axis directly (cheaper than moving it first)
        total = out[(*pre, 0)].copy()
        for k in range(1, out.shape[ax]):
            total += out[(*pre, k)]
        out = np.expand_dims(total, ax) if keepdims else total
    return out


def axis_mean(arr: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """Mean over a short axis (see :func:`axis_sum`)."""
    return axis_sum(arr, axis, keepdims) / arr.dtype.type(arr.shape[axis])


def bcast(n: int, arr: np.ndarray) -> np.ndarray:
    """Copy ``arr`` (leading axis 1 or n) to an owned array with leading axis ``n``."""
    return np.array(np.broadcast_to(arr, (n, *arr.shape[1:])), dtype=DTYPE)


def channel_table(params: ParamArrays, name: str) -> np.ndarray:
    """Stack ``channels.<c>.<name>`` over channels on a new last axis (leading axis kept)."""
    parts = [params[f"channels.{c}.{name}"] for c in CHANNELS]
    lead = max(p.shape[0] for p in parts)
    parts = [np.broadcast_to(p, (lead, *p.shape[1:])) for p in parts]
    return np.stack(parts, axis=-1)


#: Dimensions of every array field of :class:`World` after the member axis (names from
#: :data:`casim.names.DIMENSIONS`); a test checks every field's shape against them after a step.
WORLD_DIMS: dict[str, tuple[str, ...]] = {
    "alignment": ("state", "pole"),
    "alignment0": ("state", "pole"),
    "alignment_memory": ("state", "pole"),
    "trend_path": ("state", "power", "channel"),
    "capacity": ("state", "power", "channel"),
    "potential": ("state", "power", "channel"),
    "flow": ("state", "power", "channel"),
    "cut": ("state", "power", "channel"),
    "flow0": ("state", "power", "channel"),
    "other": ("state", "channel"),
    "substitute": ("state", "channel"),
    "total": ("state", "channel"),
    "total0": ("state", "channel"),
    "diversification": ("state", "channel"),
    "log_gdp": ("state",),
    "stability": ("state",),
    "threat": ("state", "power"),
    "credibility_damage": ("state", "power"),
    "standards": ("state", "power"),
    "standards0": ("state", "power"),
    "cooperation": ("state", "partner"),
    "cooperation0": ("state", "partner"),
    "water_cooperation": ("state", "partner"),
    "water_cooperation0": ("state", "partner"),
    "russia_gap": (),
    "ruble": (),
    "weapon_timer": ("state", "power", "channel"),
    "weaponised": ("state", "power", "channel"),
    "cooldown": ("state", "power"),
    "guarantee_timer": ("state", "power"),
    "guarantee_memory": ("state", "power"),
    "leverage": ("state", "power", "channel"),
    "withheld": ("state", "power", "channel"),
    "harm": ("state", "power", "channel"),
    "excused": ("state", "power", "channel"),
    "cyclical": ("state", "power", "channel"),
    "blame": ("state", "power", "channel"),
    "opinion": ("state", "power"),
    "water_stress": ("state",),
    "bias": ("state", "pole"),
}


@dataclass
class World:
    """All stocks of one batch of members. Shapes are given after the member axis ``n``
    (machine-readable in :data:`WORLD_DIMS`).

    Attributes:
        alignment: ``(i, k)`` share of each state's orientation toward each pole.
        alignment0: ``(i, k)`` start alignment (the doctrine anchor's default).
        alignment_memory: ``(i, k)`` exponentially smoothed recent alignment (coercion trigger).
        trend_path: ``(i, p, c)`` the potential flow under baseline effort (drift and standards).
        capacity: ``(i, p, c)`` extra capacity built by effort above baseline; depreciates.
        potential: ``(i, p, c)`` flow a power would provide absent disruption,
            ``max(trend_path + capacity, 0)``.
        flow: ``(i, p, c)`` realised flow this quarter.
        cut: ``(i, p, c)`` share of the potential still cut (recovers gradually after a disruption).
        flow0: ``(i, p, c)`` realised flow at the start.
        other: ``(i, c)`` flow from partners outside the model (constant).
        substitute: ``(i, c)`` flow other partners have taken over from disrupted ones.
        total: ``(i, c)`` all flows in the channel this quarter; ``total0`` at the start.
        diversification: ``(i, c)`` durable rise of substitutability after coercion (new routes,
            new destinations), fading slowly.
        log_gdp: ``(i,)`` log of the GDP index (0 at the start).
        stability: ``(i,)`` regime stability.
        threat: ``(i, p)`` threat perception.
        credibility_damage: ``(i, p)`` credibility each state has stopped granting a power after
            its coercion, fading.
        standards: ``(i, p)`` share of technical standards by origin; ``standards0`` at start.
        cooperation: ``(i, j)`` regional cooperation; ``cooperation0`` at the start.
        water_cooperation: ``(i, j)`` cooperation on shared rivers; ``water_cooperation0`` at the start.
        russia_gap: ``()`` Russia's output gap (log points).
        ruble: ``()`` log of the ruble's real value in dollars relative to the start.
        weapon_timer: ``(i, p, c)`` quarters left of an endogenous weaponisation.
        weaponised: ``(i, p, c)`` weaponisation in force this quarter (0-1).
        cooldown: ``(i, p)`` quarters before p may coerce i again.
        guarantee_timer: ``(i, p)`` quarters left of a regime guarantee.
        guarantee_memory: ``(i, p)`` fading memory of guarantees.
        leverage: ``(i, p, c)`` leverage each power holds over each state.
        withheld: ``(i, p, c)`` flow a coercing power withholds (and could restore).
        harm: ``(i, p, c)`` flow in channel ``c`` that power ``p``'s coercion cuts this quarter
            (its own flows it withholds and other powers' flows cut at its instance).
        excused: ``(i, p, c)`` flow of ``p`` lost (positive) or added because of other powers'
            actions: the state does not hold it against ``p``.
        cyclical: ``(i, p, c)`` flow of ``p`` lost (positive) to the market cycle, Russia's output
            gap and the ruble: households feel it, governments look through it.
        blame: ``(i, p, c)`` flow of other powers that ``p`` cut (positive), minus help ``p``
            gave (as flow-equivalent): held against or credited to ``p``.
        opinion: ``(i, p)`` mean citizen favourability.
        water_stress: ``(i,)`` shortfall of water availability below normal.
        bias: ``(i, k)`` benchmark calibration of the hedging target.
        quarter: quarters simulated so far.
    """

    alignment: np.ndarray
    alignment0: np.ndarray
    alignment_memory: np.ndarray
    trend_path: np.ndarray
    capacity: np.ndarray
    potential: np.ndarray
    flow: np.ndarray
    cut: np.ndarray
    flow0: np.ndarray
    other: np.ndarray
    substitute: np.ndarray
    total: np.ndarray
    total0: np.ndarray
    diversification: np.ndarray
    log_gdp: np.ndarray
    stability: np.ndarray
    threat: np.ndarray
    credibility_damage: np.ndarray
    standards: np.ndarray
    standards0: np.ndarray
    cooperation: np.ndarray
    cooperation0: np.ndarray
    water_cooperation: np.ndarray
    water_cooperation0: np.ndarray
    russia_gap: np.ndarray
    ruble: np.ndarray
    weapon_timer: np.ndarray
    weaponised: np.ndarray
    cooldown: np.ndarray
    guarantee_timer: np.ndarray
    guarantee_memory: np.ndarray
    leverage: np.ndarray
    withheld: np.ndarray
    harm: np.ndarray
    excused: np.ndarray
    cyclical: np.ndarray
    blame: np.ndarray
    opinion: np.ndarray
    water_stress: np.ndarray
    bias: np.ndarray
    quarter: int = 0

    @property
    def members(self) -> int:
        return self.alignment.shape[0]

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray))


#: Dimensions of the fields of :class:`Effective` after the member axis.
EFFECTIVE_DIMS: dict[str, tuple[str, ...]] = {
    "effort": ("state", "power", "channel"),
    "guaranteed": ("state", "power"),
    "credibility": ("state", "power"),
    "capability": ("power",),
    "threat": ("state", "power"),
    "cooperation": ("state", "partner"),
    "water_governance": ("state",),
    "russia_gap": (),
    "ruble": (),
    "substitutability": ("state", "channel"),
}


@dataclass
class Effective:
    """The quarter's *effective* values: the stocks of :class:`World` (or derived drivers) after
    the scenario's changes, as the model used them this quarter.

    Stocks keep their own dynamics beneath; these are what agents saw. Shapes after the member
    axis are in :data:`EFFECTIVE_DIMS`; some fields may lack the member axis until
    :meth:`completed` broadcasts them.

    Attributes:
        effort: ``(i, p, c)`` investment effort (1 = baseline).
        guaranteed: ``(i, p)`` a guarantee in force (0-1).
        credibility: ``(i, p)`` credibility each state grants each power.
        capability: ``(p,)`` hard capability.
        threat: ``(i, p)`` threat perception.
        cooperation: ``(i, j)`` regional cooperation.
        water_governance: ``(i,)`` technical water cooperation (0-1).
        russia_gap: ``()`` Russia's output gap.
        ruble: ``()`` the ruble's real dollar value (index, 1 = start).
        substitutability: ``(i, c)`` the state's substitutability (before lock-in).
        shortfall, stress_change, previous_total: working values of the step.
    """

    effort: np.ndarray | None = None
    guaranteed: np.ndarray | None = None
    credibility: np.ndarray | None = None
    capability: np.ndarray | None = None
    threat: np.ndarray | None = None
    cooperation: np.ndarray | None = None
    water_governance: np.ndarray | None = None
    russia_gap: np.ndarray | None = None
    ruble: np.ndarray | None = None
    substitutability: np.ndarray | None = None
    shortfall: np.ndarray | None = None
    stress_change: np.ndarray | None = None
    previous_total: np.ndarray | None = None

    def completed(self, members: int) -> Effective:
        """A copy whose declared fields all carry an explicit member axis (for outputs and agents)."""
        sizes = {dim: len(labels) for dim, labels in DIMENSIONS.items()}
        done = {}
        for name, dims in EFFECTIVE_DIMS.items():
            arr = getattr(self, name)
            shape = (members, *(sizes[d] for d in dims))
            done[name] = np.broadcast_to(np.asarray(arr, dtype=DTYPE).reshape((-1, *shape[1:])), shape)
        return Effective(**done)


def initial_world(params: ParamArrays) -> World:
    """Build the start state of ``params.members`` members from their parameters.

    Shares of a channel are scaled down where sampling made them sum above one, so the
    rest-of-world flow is never negative. Alignment rows are renormalised to the simplex.
    """
    n = params.members
    align = bcast(n, params["alignment.initial"])
    align = np.maximum(align, 1e-6)
    align /= axis_sum(align, -1, keepdims=True)

    share = bcast(n, channel_table(params, "share"))  # (n, i, p, c)
    share /= np.maximum(1.0, axis_sum(share, 2, keepdims=True))
    size = bcast(n, channel_table(params, "size"))  # (n, i, c)
    potential = size[:, :, None, :] * share
    other = size * (1.0 - axis_sum(share, 2))
    total = axis_sum(potential, 2) + other

    standards = bcast(n, params["standards.initial"])
    standards /= np.maximum(1.0, axis_sum(standards, -1, keepdims=True))
    coop = bcast(n, params["cooperation.initial"])
    coop = 0.5 * (coop + np.swapaxes(coop, 1, 2))

    level = params["water.cooperation_initial"].reshape(-1, 1, 1)
    water_coop = bcast(n, np.broadcast_to(level, (level.shape[0], N_STATES, N_STATES)))
    water_coop[:, np.arange(N_STATES), np.arange(N_STATES)] = 0.0
    zeros_ip = np.zeros((n, N_STATES, N_POWERS), DTYPE)
    zeros_ipc = np.zeros((n, N_STATES, N_POWERS, N_CHANNELS), DTYPE)
    return World(
        alignment=align,
        alignment0=align.copy(),
        alignment_memory=align.copy(),
        trend_path=potential.astype(DTYPE),
        capacity=zeros_ipc.copy(),
        potential=potential.astype(DTYPE),
        flow=potential.astype(DTYPE),
        cut=zeros_ipc.copy(),
        flow0=potential.astype(DTYPE),
        other=other.astype(DTYPE),
        substitute=np.zeros((n, N_STATES, N_CHANNELS), DTYPE),
        total=total.astype(DTYPE),
        total0=total.astype(DTYPE),
        diversification=np.zeros((n, N_STATES, N_CHANNELS), DTYPE),
        log_gdp=np.zeros((n, N_STATES), DTYPE),
        stability=bcast(n, params["regime.initial"]),
        threat=bcast(n, params["threat.initial"]),
        credibility_damage=zeros_ip.copy(),
        standards=standards,
        standards0=standards.copy(),
        cooperation=coop,
        cooperation0=coop.copy(),
        water_cooperation=water_coop,
        water_cooperation0=water_coop.copy(),
        russia_gap=np.zeros((n,), DTYPE),
        ruble=np.zeros((n,), DTYPE),
        weapon_timer=np.zeros((n, N_STATES, N_POWERS, N_CHANNELS), np.int16),
        weaponised=zeros_ipc.copy(),
        cooldown=np.zeros((n, N_STATES, N_POWERS), np.int16),
        guarantee_timer=np.zeros((n, N_STATES, N_POWERS), np.int16),
        guarantee_memory=zeros_ip.copy(),
        leverage=zeros_ipc.copy(),
        withheld=zeros_ipc.copy(),
        harm=zeros_ipc.copy(),
        excused=zeros_ipc.copy(),
        cyclical=zeros_ipc.copy(),
        blame=zeros_ipc.copy(),
        opinion=zeros_ip.copy(),
        water_stress=np.zeros((n, N_STATES), DTYPE),
        bias=np.zeros_like(align),
    )
