"""Counterfactual perception: governments see reference values for chosen mechanisms.

A :class:`Counterfactual` makes each row (member) of a run perceive, for every mechanism it
does not *keep* (:data:`casim.government.PLAYERS`), the values a reference run recorded
instead of its own. The world itself evolves as usual; only what enters the governments'
choice changes. With nothing kept, every input equals the reference's, so a run
reproduces the reference's alignment exactly; with everything kept it is the plain run.
This is what lets :mod:`casim.explain` attribute a scenario's effect to channels exactly.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from casim.government import CHANNEL_FIELDS, FIELD_PLAYER, PLAYERS, UtilityInputs
from casim.names import CHANNELS


class InputLog:
    """Records the utility inputs of every member at every quarter, ``(members, quarters, ...)``."""

    def __init__(self, members: int, horizon: int):
        self.members, self.horizon = members, horizon
        self.data: dict[str, np.ndarray] = {}

    def record(self, inputs: UtilityInputs, quarter: int) -> None:
        for name, arr in inputs.arrays().items():
            if name not in self.data:
                self.data[name] = np.empty((self.members, self.horizon + 1, *arr.shape[1:]), arr.dtype)
            self.data[name][:, quarter] = arr


class Counterfactual:
    """Mix a run's own utility inputs with a reference run's, mechanism by mechanism.

    Args:
        reference: Recorded inputs of the reference run, ``{field: (m, quarters, ...)}``.
        rows: For each row of this run, its position in the reference (``(n,)`` ints).
        keep: ``(n, len(PLAYERS))`` booleans: True where a row perceives its own values.
    """

    def __init__(self, reference: dict[str, np.ndarray], rows: np.ndarray, keep: np.ndarray):
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (len(rows), len(PLAYERS)):
            raise ValueError(f"keep must have shape ({len(rows)}, {len(PLAYERS)}), got {keep.shape}")
        self.reference, self.rows, self.keep = reference, np.asarray(rows, dtype=np.intp), keep
        self._channels = keep[:, [PLAYERS.index(c) for c in CHANNELS]]  # (n, c)

    def take(self, rows: np.ndarray) -> Counterfactual:
        """The counterfactual for a subset of rows (a chunk of a run)."""
        return Counterfactual(self.reference, self.rows[rows], self.keep[rows])

    def apply(self, inputs: UtilityInputs, quarter: int) -> UtilityInputs:
        """``inputs`` with the reference's values where a mechanism is not kept."""
        changed = {}
        for name, own in inputs.arrays().items():
            ref = self.reference[name][self.rows, quarter]
            if name in CHANNEL_FIELDS:
                mask = self._channels.reshape((len(self.rows),) + (1,) * (own.ndim - 2) + (len(CHANNELS),))
            else:
                mask = self.keep[:, PLAYERS.index(FIELD_PLAYER[name])].reshape((-1,) + (1,) * (own.ndim - 1))
            changed[name] = np.where(mask, own, ref).astype(own.dtype)
        return replace(inputs, **changed)
