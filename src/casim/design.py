"""Designed ensembles: members placed in the parameter ranges by a design, not by chance.

In an ordinary run every member draws, from its own stream, one uniform number per
*sampling unit* (an element of an independently sampled table, or a whole table sampled
jointly) and takes ``low + u (high - low)`` of the unit's range
(:meth:`casim.parameters.ParameterSet.resolve`). A :class:`Design` supplies those uniforms
instead: member ``k`` takes row ``k`` of a matrix chosen by a sampling plan (SALib's Morris
trajectories or Saltelli/Sobol' samples, :mod:`casim.sensitivity`). Nothing else changes,
so a designed ensemble runs as one batched ensemble, in any chunking and on any executor.

Optionally all members share the random numbers of one member (``noise``): the stochastic
parts of the model (shocks, citizens, random events) are then the same in every row, and
rows differ by their parameters alone, as a sensitivity design assumes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from casim.names import DIMENSIONS
from casim.parameters import ParameterSet


@dataclass(frozen=True)
class SamplingUnit:
    """One number a member draws to place parameters in their ranges.

    Attributes:
        label: ``path`` for a jointly sampled table, else ``path.Label1.Label2``.
        path: The parameter.
        index: Flat position of the element in the table (None: the whole table).
        ranged: Whether the unit's range is wider than a point (and not pinned).
    """

    label: str
    path: str
    index: int | None
    ranged: bool


def sampling_units(params: ParameterSet) -> list[SamplingUnit]:
    """Every sampling unit, in the order :meth:`ParameterSet.resolve` consumes its uniforms."""
    units = []
    for p in params:
        if not p.sampled:
            continue
        wide = (p.high > p.low) & (~p.pinned if p.pinned is not None else True)
        if p.sample == "joint":
            units.append(SamplingUnit(p.path, p.path, None, bool(np.any(wide))))
            continue
        flat = np.broadcast_to(wide, p.shape).reshape(-1)
        for k in range(flat.size):
            labels = [DIMENSIONS[d][i] for d, i in zip(p.dims, np.unravel_index(k, p.shape), strict=True)]
            units.append(SamplingUnit(".".join([p.path, *labels]), p.path, k, bool(flat[k])))
    return units


@dataclass(frozen=True, eq=False)
class Design:
    """Per-member positions in the parameter ranges.

    Attributes:
        ids: Member index of each row (increasing).
        uniforms: ``(rows, units)`` positions in ``[0, 1]``, units in :func:`sampling_units` order.
        noise: Member whose random numbers every row uses (None: each its own).
    """

    ids: np.ndarray
    uniforms: np.ndarray
    noise: int | None = 0

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, dtype=np.int64)
        if ids.ndim != 1 or ids.size != self.uniforms.shape[0] or np.any(np.diff(ids) <= 0):
            raise ValueError("a design needs one increasing member index per row")
        if np.any(self.uniforms < 0) or np.any(self.uniforms > 1):
            raise ValueError("design positions must lie in [0, 1]")
        object.__setattr__(self, "ids", ids)

    @classmethod
    def from_rows(cls, uniforms: np.ndarray, noise: int | None = 0) -> Design:
        """A design whose row ``k`` is member ``k``."""
        uniforms = np.asarray(uniforms, dtype=np.float64)
        return cls(np.arange(uniforms.shape[0]), uniforms, noise)

    @property
    def members(self) -> int:
        return int(self.ids.size)

    def rows(self, members: Sequence[int]) -> np.ndarray:
        """The rows of ``members`` (each must be in the design)."""
        members = np.asarray(members, dtype=np.int64)
        at = np.searchsorted(self.ids, members)
        if np.any(at >= self.ids.size) or np.any(self.ids[np.minimum(at, self.ids.size - 1)] != members):
            raise ValueError("members outside the design were asked for")
        return self.uniforms[at]

    def subset(self, members: Sequence[int]) -> Design:
        """The design restricted to ``members`` (what a chunk of the ensemble needs)."""
        members = np.asarray(members, dtype=np.int64)
        order = np.argsort(members, kind="stable")
        return Design(members[order], self.rows(members[order]), self.noise)

    def noise_ids(self, members: Sequence[int]) -> np.ndarray:
        """Whose random numbers each member uses."""
        members = np.asarray(members, dtype=np.int64)
        return members if self.noise is None else np.full_like(members, self.noise)

    @property
    def key(self) -> str:
        """Identifies the design (for pairing runs that share it)."""
        digest = hashlib.sha256(self.ids.tobytes() + self.uniforms.tobytes()).hexdigest()[:16]
        return f"design:{digest}:{self.noise}"
