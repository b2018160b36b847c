"""The state of the world: every stock as an array whose first axis is the ensemble member.

Axis conventions (after the member axis ``n``): ``i`` state (5), ``p`` power (5),
``k`` pole (6: the powers and autonomy), ``c`` channel (8), ``j`` partner state (5).
Tables indexed by power first in the parameter file (``powers.care``) are stored with
the state axis first here, so that every (state, power) array reads ``[n, i, p]``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from casim.names import CHANNELS, POWERS, STATES
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
        moved = np.moveaxis(out, ax, 0)
        total = moved[0].copy()
        for k in range(1, moved.shape[0]):
            total += moved[k]
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


@dataclass
class World:
    """All stocks of one batch of members. Shapes are given after the member axis ``n``.

    Attributes:
        alignment: ``(i, k)`` share of each state's orientation toward each pole.
        alignment0: ``(i, k)`` start alignment (the doctrine anchor's default).
        alignment_memory: ``(i, k)`` exponentially smoothed recent alignment (coercion trigger).
        potential: ``(i, p, c)`` flow a power would provide absent disruption: its trend path
            plus the capacity built by extra effort.
        trend_path: ``(i, p, c)`` the potential flow under baseline effort (drift and standards).
        flow: ``(i, p, c)`` realised flow this quarter.
        cut: ``(i, p, c)`` share of the potential still cut (recovers gradually after a disruption).
        flow0: ``(i, p, c)`` realised flow at the start.
        other: ``(i, c)`` flow from partners outside the model (constant).
        substitute: ``(i, c)`` flow other partners have taken over from disrupted ones.
        total: ``(i, c)`` all flows in the channel this quarter; ``total0`` at the start.
        log_gdp: ``(i,)`` log of the GDP index (0 at the start).
        stability: ``(i,)`` regime stability.
        threat: ``(i, p)`` threat perception.
        credibility_damage: ``(p,)`` credibility lost to coercion, fading.
        standards: ``(i, p)`` share of technical standards by origin; ``standards0`` at start.
        cooperation: ``(i, j)`` regional cooperation; ``cooperation0`` at the start.
        russia_gap: ``()`` Russia's output gap (log points).
        weapon_timer: ``(i, p, c)`` quarters left of an endogenous weaponisation.
        weaponised: ``(i, p, c)`` weaponisation in force this quarter (0-1).
        cooldown: ``(i, p)`` quarters before p may coerce i again.
        guarantee_timer: ``(i, p)`` quarters left of a regime guarantee.
        guarantee_memory: ``(i, p)`` fading memory of guarantees.
        leverage: ``(i, p, c)`` leverage each power holds over each state.
        withheld: ``(i, p, c)`` flow a coercing power withholds (and could restore).
        opinion: ``(i, p)`` mean citizen favourability.
        water_stress: ``(i,)`` shortfall of water availability below normal.
        bias: ``(i, k)`` benchmark calibration of the hedging target.
        quarter: quarters simulated so far.
    """

    alignment: np.ndarray
    alignment0: np.ndarray
    alignment_memory: np.ndarray
    potential: np.ndarray
    trend_path: np.ndarray
    flow: np.ndarray
    cut: np.ndarray
    flow0: np.ndarray
    other: np.ndarray
    substitute: np.ndarray
    total: np.ndarray
    total0: np.ndarray
    log_gdp: np.ndarray
    stability: np.ndarray
    threat: np.ndarray
    credibility_damage: np.ndarray
    standards: np.ndarray
    standards0: np.ndarray
    cooperation: np.ndarray
    cooperation0: np.ndarray
    russia_gap: np.ndarray
    weapon_timer: np.ndarray
    weaponised: np.ndarray
    cooldown: np.ndarray
    guarantee_timer: np.ndarray
    guarantee_memory: np.ndarray
    leverage: np.ndarray
    withheld: np.ndarray
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

    zeros_ip = np.zeros((n, N_STATES, N_POWERS), DTYPE)
    zeros_ipc = np.zeros((n, N_STATES, N_POWERS, N_CHANNELS), DTYPE)
    return World(
        alignment=align,
        alignment0=align.copy(),
        alignment_memory=align.copy(),
        potential=potential.astype(DTYPE),
        trend_path=potential.astype(DTYPE),
        flow=potential.astype(DTYPE),
        cut=zeros_ipc.copy(),
        flow0=potential.astype(DTYPE),
        other=other.astype(DTYPE),
        substitute=np.zeros((n, N_STATES, N_CHANNELS), DTYPE),
        total=total.astype(DTYPE),
        total0=total.astype(DTYPE),
        log_gdp=np.zeros((n, N_STATES), DTYPE),
        stability=bcast(n, params["regime.initial"]),
        threat=bcast(n, params["threat.initial"]),
        credibility_damage=np.zeros((n, N_POWERS), DTYPE),
        standards=standards,
        standards0=standards.copy(),
        cooperation=coop,
        cooperation0=coop.copy(),
        russia_gap=np.zeros((n,), DTYPE),
        weapon_timer=np.zeros((n, N_STATES, N_POWERS, N_CHANNELS), np.int16),
        weaponised=zeros_ipc.copy(),
        cooldown=np.zeros((n, N_STATES, N_POWERS), np.int16),
        guarantee_timer=np.zeros((n, N_STATES, N_POWERS), np.int16),
        guarantee_memory=zeros_ip.copy(),
        leverage=zeros_ipc.copy(),
        withheld=zeros_ipc.copy(),
        opinion=zeros_ip.copy(),
        water_stress=np.zeros((n, N_STATES), DTYPE),
        bias=np.zeros_like(align),
    )
