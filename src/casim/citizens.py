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

The network is a ring lattice with ``k/2`` neighbours on each side (a Watts-Strogatz
lattice without rewiring) over citizens ordered by settlement, then age, media and migrant
status: neighbours mostly share their segments (homophily: migrant households cluster in
villages, Russian-media audiences in cities), and groups touch at their boundaries. The
ordering also makes each type a contiguous block of a row, so sums over segments are
differences of one cumulative sum.
"""

from __future__ import annotations

import numpy as np

from casim import kernels
from casim.names import POWERS, SEGMENTS
from casim.parameters import ParamArrays
from casim.world import DTYPE, axis_sum

N_TYPES = 2 ** len(SEGMENTS)
#: Bit of each segment in a citizen's type index. Settlement is the most significant bit, then
#: youth, media, migrants: sorting citizens by type index orders them by settlement first.
TYPE_BIT = {"rural": 3, "youth": 2, "russian_media": 1, "migrant_household": 0}
_SHIFTS = np.array([TYPE_BIT[g] for g in SEGMENTS])
#: Members per block in the quarterly update: small enough for a block's arrays to stay in
#: cache. A performance setting only: blocks never change results.
BLOCK = 25
#: bits[g, t] = 1 if citizen type t belongs to segment g.
TYPE_BITS = ((np.arange(N_TYPES)[None, :] >> _SHIFTS[:, None]) & 1).astype(DTYPE)
RURAL = SEGMENTS.index("rural")
#: Sum weights over types: everyone, then each segment the type belongs to.
SUM_WEIGHTS = np.concatenate([np.ones((N_TYPES, 1), DTYPE), TYPE_BITS.T], axis=1)  # (type, 1 + g)


class Citizens:
    """The citizens of every state of a batch of members.

    Attributes:
        favourability: ``(n, i, p, C)`` favourability of each citizen toward each power.
        predisposition: ``(n, i, p, C)`` the personal anchor ``f0``.
        kind: ``(n, i, C)`` type index (bit g set if in segment g).
    """

    def __init__(self, params: ParamArrays, uniforms: np.ndarray, normals: np.ndarray, kernel: bool | None = None):
        """Draw the population.

        Args:
            params: Per-member parameters.
            uniforms: ``(n, i, g, C)`` uniforms deciding segment membership.
            normals: ``(n, i, p, C)`` standard normals for individual predispositions.
            kernel: Update with the compiled kernel (:mod:`casim.kernels`; identical
                results); default: for large batches when Numba is installed.
        """
        n, n_states, n_seg, size = uniforms.shape
        n_powers = len(POWERS)
        share = np.broadcast_to(params["citizens.segment_share"], (n, n_states, n_seg)).astype(DTYPE)
        flags = uniforms < share[..., None]  # (n, i, g, C)
        # Order citizens by type index (settlement outermost) so neighbours share segments and
        # each type is a contiguous run of the row, runs in type order.
        kind = np.zeros((n, n_states, size), np.uint8)  # (n, i, C): the segment bits, one small integer each
        for g in range(n_seg):
            kind |= flags[:, :, g].view(np.uint8) << np.uint8(_SHIFTS[g])
        kind = kind.astype(np.intp)
        order = np.argsort(kind, axis=2, kind="stable")
        flags = np.take_along_axis(flags, order[:, :, None, :], axis=3)
        self.kind = np.take_along_axis(kind, order, axis=2)
        # Where each type's block starts in the (sorted) row, and how many citizens it holds.
        in_type = self.kind[..., None] == np.arange(N_TYPES)  # (n, i, C, type)
        count = in_type.sum(axis=2)  # (n, i, type)
        first = np.cumsum(count, axis=2) - count  # blocks follow each other in type order
        self._has_type = (count > 0)[:, :, None, :]  # (n, i, 1, type)
        # Run lengths per (member, state, power, type): expand a per-type value to every citizen.
        self._runs = np.ascontiguousarray(np.broadcast_to(count[:, :, None, :], (n, n_states, n_powers, N_TYPES)))
        # Flat position, within a block's favourability, where each (state, power, type) run starts.
        local = (np.arange(n) % BLOCK).reshape(n, 1, 1, 1)
        rows = (local * n_states + np.arange(n_states).reshape(1, -1, 1, 1)) * n_powers
        rows = (rows + np.arange(n_powers).reshape(1, 1, -1, 1)) * size
        self._bounds = rows + first[:, :, None, :]  # (n, i, p, type)
        self._flags = flags
        self.kernel = kernels.wanted(n) if kernel is None else kernel
        if self.kernel:  # where each type's run starts in its row, and its length, per (member, state)
            self._run_starts = np.ascontiguousarray(first.reshape(-1, N_TYPES), dtype=np.int64)
            self._run_counts = np.ascontiguousarray(count.reshape(-1, N_TYPES), dtype=np.int64)
            self._by_type = np.empty((n, n_states, n_powers, N_TYPES), DTYPE)
        counts = count.astype(DTYPE)  # (n, i, type)
        self._counts = np.concatenate(
            [counts.sum(axis=2, keepdims=True), axis_sum(counts[:, :, None, :] * TYPE_BITS, 3)], axis=2
        )  # (n, i, 1 + g): everyone, then each segment (exact small integers)

        # Predisposition: the declared mean, plus segment offsets centred so the expected mean is
        # unchanged, plus individual spread: f0 = mean - E[offset] + offset(type) + sd z.
        mean = np.broadcast_to(params["citizens.favourability"], (n, n_states, n_powers))
        offset = np.broadcast_to(params["citizens.predisposition"], (n, n_seg, n_powers)).astype(DTYPE)
        expected = axis_sum(share[..., None] * offset[:, None], 2)  # (n, i, p)
        by_type = axis_sum(offset[..., None] * TYPE_BITS[None, :, None, :], 1)  # (n, p, type)
        base = (mean - expected).astype(DTYPE)[..., None]  # (n, i, p, 1)
        f0 = np.repeat(
            np.broadcast_to(by_type[:, None], (n, n_states, n_powers, N_TYPES)).reshape(-1), self._runs.reshape(-1)
        ).reshape(n, n_states, n_powers, size)
        f0 += base
        f0 += np.asarray(params["citizens.heterogeneity"], DTYPE).reshape(-1, 1, 1, 1) * normals
        np.clip(f0, 0.0, 1.0, out=f0)
        self.predisposition = f0
        self.favourability = f0.copy()

        self.half = max(int(params.scalar("citizens.neighbours")) // 2, 1)
        # Preallocated work buffers for one block: nothing large is allocated in the update.
        block = (min(n, BLOCK), n_states, n_powers, size)
        self._padded = np.empty((*block[:-1], size + 2 * self.half), DTYPE)
        self._drive = np.empty(block, DTYPE)
        self._peer = np.empty(block, DTYPE)
        self._drive_types = np.empty((n, n_states, n_powers, N_TYPES), DTYPE)
        self._eta_f0: np.ndarray | None = None
        self._eta: np.ndarray | None = None
        self._totals = np.empty((n, n_states, n_powers, 1 + n_seg), DTYPE)
        for start in range(0, n, BLOCK):
            self._sum_block(slice(start, min(start + BLOCK, n)))

    @property
    def segments(self) -> np.ndarray:
        """``(n, i, g, C)`` segment flags as 0/1 floats."""
        return self._flags.astype(DTYPE)

    @property
    def size(self) -> int:
        """Citizens per state."""
        return self.favourability.shape[-1]

    def _sum_block(self, block: slice) -> None:
        """Sums of favourability over everyone and each segment for a block of members.

        Each type is a contiguous run of its row, so one ``add.reduceat`` gives every type's
        sum; a segment's sum adds its types. Each member's sums depend only on its own rows.
        """
        f = self.favourability[block]
        flat = f.reshape(-1)
        starts = np.minimum(self._bounds[block].reshape(-1), flat.size - 1)
        by_type = np.add.reduceat(flat, starts).reshape(*f.shape[:-1], N_TYPES)
        by_type = np.where(self._has_type[block], by_type, 0.0)  # reduceat returns f[start] for empty runs
        self._totals[block] = axis_sum(by_type[..., None] * SUM_WEIGHTS, -2)

    def update(self, signals: np.ndarray, adaptation: np.ndarray, peer_weight: np.ndarray) -> None:
        """Advance favourability one quarter.

        ``f <- clip((1 - eta - omega) f + eta (f0 + s) + omega mean_neighbours(f), 0, 1)``

        Args:
            signals: ``(n, i, p, 1 + g)`` what the general audience and each segment feel.
            adaptation: ``eta``, broadcastable to ``(n, 1, 1, 1)``.
            peer_weight: ``omega``, broadcastable to ``(n, 1, 1, 1)``.
        """
        eta = np.asarray(adaptation, dtype=DTYPE).reshape(-1, 1, 1, 1)
        omega = np.asarray(peer_weight, dtype=DTYPE).reshape(-1, 1, 1, 1)
        if self._eta is None or not np.array_equal(self._eta, eta):
            self._eta, self._eta_f0 = eta.copy(), (eta * self.predisposition).astype(DTYPE)
        # eta x drive per type: the general signal plus each segment the type belongs to.
        types = self._drive_types
        types[...] = signals[..., :1]
        for g in range(len(SEGMENTS)):
            types += signals[..., 1 + g, None] * TYPE_BITS[g]
        types *= eta
        if self.kernel:
            self._update_compiled(types, eta, omega)
            return
        n = self.favourability.shape[0]
        for start in range(0, n, BLOCK):
            block = slice(start, min(start + BLOCK, n))
            self._update_block(
                block,
                types[block],
                eta[block] if eta.shape[0] > 1 else eta,
                omega[block] if omega.shape[0] > 1 else omega,
            )

    def _update_block(self, block: slice, types: np.ndarray, eta: np.ndarray, omega: np.ndarray) -> None:
        """The update for the members in ``block`` (their arrays stay in cache)."""
        f, h = self.favourability[block], self.half
        size = f.shape[0]
        drive, peer, pad = self._drive[:size], self._peer[:size], self._padded[:size]
        expanded = np.repeat(types.reshape(-1), self._runs[block].reshape(-1))  # each type over its run
        np.add(expanded.reshape(drive.shape), self._eta_f0[block], out=drive)
        # omega x mean of the ring neighbours, scaled once while copying into the padded buffer.
        np.multiply(f, omega / DTYPE(2 * h), out=pad[..., h:-h])
        pad[..., :h] = pad[..., -2 * h : -h]
        pad[..., -h:] = pad[..., h : 2 * h]
        np.add(pad[..., : -2 * h], pad[..., 2 * h :], out=peer)
        for d in range(1, h):  # the nearer neighbours, at distance d on each side
            peer += pad[..., h - d : -(h + d)]
            peer += pad[..., h + d : -(h - d)]
        drive += peer
        f *= 1 - eta - omega
        f += drive
        np.clip(f, 0.0, 1.0, out=f)
        self._sum_block(block)

    def _update_compiled(self, types: np.ndarray, eta: np.ndarray, omega: np.ndarray) -> None:
        """The same update by the compiled kernel, one row at a time (:mod:`casim.kernels`)."""
        _, n_states, n_powers, size = self.favourability.shape
        kernels.update_rows(
            self.favourability.reshape(-1, size),
            self._eta_f0.reshape(-1, size),
            types.reshape(-1, N_TYPES),
            self.kind.reshape(-1, size),
            self._run_starts,
            self._run_counts,
            np.ascontiguousarray(eta.reshape(-1)),
            np.ascontiguousarray(omega.reshape(-1)),
            n_states * n_powers,
            n_powers,
            self.half,
            self._by_type.reshape(-1, N_TYPES),
        )
        self._totals[...] = axis_sum(self._by_type[..., None] * SUM_WEIGHTS, -2)

    def opinion(self) -> np.ndarray:
        """Mean favourability ``(n, i, p)``."""
        return (self._totals[..., 0] / self._counts[:, :, None, 0]).astype(DTYPE)

    def segment_opinion(self) -> np.ndarray:
        """Mean favourability within each segment ``(n, i, p, g)`` (NaN for an empty segment)."""
        counts = self._counts[:, :, None, 1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self._totals[..., 1:] / counts).astype(DTYPE)
