"""Synthetic citizens: array-backed agents, one row per citizen, for every member at once.

Each state holds ``C`` citizens per member. A citizen has four segment flags
(:data:`casim.names.SEGMENTS`), drawn independently with the state's shares, a personal
predisposition toward each power, and a favourability toward each power in ``[0, 1]``.

Favourability moves each quarter toward what the citizen experiences (their *drive*) and
toward their neighbours on a within-state network::

    f <- clip((1 - eta - omega) f + eta d + omega mean_neighbours(f), 0, 1)
    d  = f0 + s_general + sum_g bit_g(citizen) s_g

``f0`` is the predisposition, ``s_g`` the signal felt by audience ``g`` (computed per
member, state and power by :func:`casim.channels.citizen_signals`). Because every citizen
with the same segment flags feels the same signals, the drive is built per *type* (one of
16 flag combinations) and gathered per citizen with one indexed read.

The network is a ring lattice with ``k/2`` neighbours on each side over citizens sorted
rural-first (a Watts-Strogatz lattice without rewiring): neighbours mostly share their
settlement type, a simple form of homophily.
"""

from __future__ import annotations

import numpy as np

from casim.names import POWERS, SEGMENTS
from casim.parameters import ParamArrays
from casim.rng import normal_from_uniform
from casim.world import DTYPE, axis_sum

N_TYPES = 2 ** len(SEGMENTS)
#: bits[g, t] = 1 if citizen type t belongs to segment g.
TYPE_BITS = ((np.arange(N_TYPES)[None, :] >> np.arange(len(SEGMENTS))[:, None]) & 1).astype(DTYPE)
RURAL = SEGMENTS.index("rural")


class Citizens:
    """The citizens of every state of a batch of members.

    Attributes:
        favourability: ``(n, i, p, C)`` favourability of each citizen toward each power.
        predisposition: ``(n, i, p, C)`` the personal anchor ``f0``.
        segments: ``(n, i, g, C)`` segment flags as 0/1 floats.
        kind: ``(n, i, C)`` type index (bit g set if in segment g).
    """

    def __init__(self, params: ParamArrays, uniforms: np.ndarray):
        """Draw the population.

        Args:
            params: Per-member parameters.
            uniforms: ``(n, i, C, g + p)`` uniforms from the members' init streams.
        """
        n, n_states = uniforms.shape[:2]
        n_seg = len(SEGMENTS)
        share = np.broadcast_to(params["citizens.segment_share"], (n, n_states, n_seg))
        seg = (uniforms[..., :n_seg] < share[:, :, None, :]).astype(DTYPE)  # (n, i, C, g)
        # Sort rural citizens first so ring neighbours mostly share their settlement type.
        order = np.argsort(-seg[..., RURAL], axis=2, kind="stable")
        seg = np.take_along_axis(seg, order[..., None], axis=2)
        noise = np.take_along_axis(uniforms[..., n_seg:], order[..., None], axis=2)
        self.segments = np.ascontiguousarray(np.moveaxis(seg, 3, 2))  # (n, i, g, C)
        self.kind = (seg.astype(np.int64) << np.arange(n_seg)).sum(axis=3)  # (n, i, C)

        # Predisposition: calibrated mean + segment offsets (centred so the expected mean
        # equals the declared favourability) + individual spread.
        mean = np.broadcast_to(params["citizens.favourability"], (n, n_states, len(POWERS)))
        offset = np.broadcast_to(params["citizens.predisposition"], (n, n_seg, len(POWERS)))
        expected_offset = axis_sum(share[..., None] * offset[:, None], 2)  # (n, i, p)
        base = mean - expected_offset
        personal = axis_sum(self.segments[:, :, :, None, :] * offset[:, None, :, :, None], 2)  # (n, i, p, C)
        spread = np.asarray(params["citizens.heterogeneity"]).reshape(-1, 1, 1, 1)
        z = np.moveaxis(normal_from_uniform(noise), 3, 2)  # (n, i, p, C)
        f0 = base[..., None] + personal + spread * z
        self.predisposition = np.clip(f0, 0.0, 1.0).astype(DTYPE)
        self.favourability = self.predisposition.copy()

        half = int(params.scalar("citizens.neighbours")) // 2
        self.half = max(half, 1)
        shape = self.favourability.shape
        # Preallocated work buffers: nothing is allocated in the quarterly update.
        self._padded = np.empty((*shape[:-1], shape[-1] + 2 * self.half), DTYPE)
        self._drive = np.empty(shape, DTYPE)
        self._peer = np.empty(shape, DTYPE)
        self._drive_types = np.empty((*shape[:-1], N_TYPES), DTYPE)
        offsets = np.arange(int(np.prod(shape[:-1]))).reshape(*shape[:-1], 1) * N_TYPES
        self._gather = (offsets + self.kind[:, :, None, :]).astype(np.intp)

    @property
    def size(self) -> int:
        """Citizens per state."""
        return self.favourability.shape[-1]

    def update(self, signals: np.ndarray, adaptation: np.ndarray, peer_weight: np.ndarray) -> None:
        """Advance favourability one quarter.

        Args:
            signals: ``(n, i, p, 1 + g)`` what the general audience and each segment feel.
            adaptation: ``eta``, broadcastable to ``(n, 1, 1, 1)``.
            peer_weight: ``omega``, broadcastable to ``(n, 1, 1, 1)``.
        """
        f, h = self.favourability, self.half
        types = self._drive_types
        # Drive per type: general signal plus the signal of each segment the type belongs to.
        types[...] = signals[..., :1]
        for g in range(len(SEGMENTS)):
            types += signals[..., 1 + g, None] * TYPE_BITS[g]
        np.take(types.reshape(-1), self._gather, out=self._drive)
        drive = self._drive
        drive += self.predisposition
        # Neighbour mean on the ring lattice.
        pad = self._padded
        pad[..., h:-h] = f
        pad[..., :h] = f[..., -h:]
        pad[..., -h:] = f[..., :h]
        peer = self._peer
        np.add(pad[..., : -2 * h], pad[..., 2 * h :], out=peer)
        for d in range(1, h):  # the nearer neighbours, at distance d on each side
            peer += pad[..., h - d : -(h + d)]
            peer += pad[..., h + d : -(h - d)]
        eta = np.asarray(adaptation, dtype=DTYPE).reshape(-1, 1, 1, 1)
        omega = np.asarray(peer_weight, dtype=DTYPE).reshape(-1, 1, 1, 1)
        peer *= omega / (2 * h)
        drive *= eta
        drive += peer
        f *= 1 - eta - omega
        f += drive
        np.clip(f, 0.0, 1.0, out=f)

    def opinion(self) -> np.ndarray:
        """Mean favourability ``(n, i, p)``."""
        return self.favourability.mean(axis=-1, dtype=DTYPE)

    def segment_opinion(self) -> np.ndarray:
        """Mean favourability within each segment ``(n, i, p, g)`` (NaN for an empty segment)."""
        counts = self.segments.sum(axis=-1)  # (n, i, g)
        f = self.favourability  # sums over the long, contiguous citizen axis
        sums = np.stack([(f * self.segments[:, :, g, None, :]).sum(axis=-1) for g in range(len(SEGMENTS))], axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (sums / counts[:, :, None, :]).astype(DTYPE)
