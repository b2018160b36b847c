"""The Mesa agents: five Central Asian states and five external powers.

Each agent is a :class:`mesa.Agent` registered with the model. Its state lives in the
model's arrays, one row on the state or power axis, with the ensemble-member axis first,
so one ``model.step()`` advances every member. The agents' behaviour rules are the
vectorised functions of :mod:`casim.government` (states) and :mod:`casim.powers`
(powers), which the model calls once for all agents of a kind, in the schedule's order;
the properties below are read-only views for inspection and teaching.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from casim.government import hedging_index
from casim.names import POLES, POWER_CODES, POWERS, STATE_CODES, STATES

if TYPE_CHECKING:  # pragma: no cover
    from casim.model import CentralAsiaModel


class StateAgent(mesa.Agent):
    """A Central Asian state: its government chooses an alignment over the powers and autonomy.

    Args:
        model: The model.
        index: Position on the state axis.
    """

    model: CentralAsiaModel

    def __init__(self, model: CentralAsiaModel, index: int):
        super().__init__(model)
        self.index = index
        self.name = STATES[index]
        self.code = STATE_CODES[index]

    def __repr__(self) -> str:
        return f"StateAgent({self.name})"

    @property
    def alignment(self) -> np.ndarray:
        """``(members, 6)`` alignment over :data:`casim.names.POLES`."""
        return self.model.world.alignment[:, self.index]

    @property
    def hedging(self) -> np.ndarray:
        """``(members,)`` hedging index."""
        return hedging_index(self.alignment)

    @property
    def gdp_index(self) -> np.ndarray:
        """``(members,)`` GDP relative to the start."""
        return np.exp(self.model.world.log_gdp[:, self.index])

    @property
    def regime_stability(self) -> np.ndarray:
        """``(members,)`` regime stability."""
        return self.model.world.stability[:, self.index]

    @property
    def favourability(self) -> np.ndarray:
        """``(members, 5)`` mean citizen favourability toward each power."""
        return self.model.world.opinion[:, self.index]

    @property
    def leverage(self) -> np.ndarray:
        """``(members, power, channel)`` leverage each power holds over this state."""
        return self.model.world.leverage[:, self.index]

    def leading_pole(self, member: int = 0) -> str:
        """The pole with the largest alignment share for one member."""
        return POLES[int(np.argmax(self.alignment[member]))]


class PowerAgent(mesa.Agent):
    """An external power: invests in channels, may weaponise them, may guarantee regimes.

    Args:
        model: The model.
        index: Position on the power axis.
    """

    model: CentralAsiaModel

    def __init__(self, model: CentralAsiaModel, index: int):
        super().__init__(model)
        self.index = index
        self.name = POWERS[index]
        self.code = POWER_CODES[index]

    def __repr__(self) -> str:
        return f"PowerAgent({self.name})"

    @property
    def credibility(self) -> np.ndarray:
        """``(members, state)`` credibility each state grants this power."""
        return self.model.effective.credibility[:, :, self.index]

    @property
    def capability(self) -> np.ndarray:
        """``(members,)`` effective hard capability."""
        return self.model.effective.capability[:, self.index]

    @property
    def soft_power(self) -> np.ndarray:
        """``(members,)`` population-weighted mean favourability of the region's citizens toward this power."""
        pop = np.broadcast_to(self.model.params["country.population"], (self.model.members, len(STATES)))
        weights = pop / pop.sum(axis=1, keepdims=True)
        return (self.model.world.opinion[:, :, self.index] * weights).sum(axis=1)

    @property
    def budget(self) -> np.ndarray:
        """``(members, state, channel)`` investment effort (budget) relative to the baseline, last quarter."""
        return self.model.effective.effort[:, :, self.index]

    @property
    def leverage(self) -> np.ndarray:
        """``(members, state, channel)`` leverage this power holds over each state."""
        return self.model.world.leverage[:, :, self.index]

    @property
    def weaponising(self) -> np.ndarray:
        """``(members, state, channel)`` channels this power weaponises now."""
        return self.model.world.weaponised[:, :, self.index]

    @property
    def guaranteeing(self) -> np.ndarray:
        """``(members, state)`` regimes this power guarantees now."""
        return self.model.effective.guaranteed[:, :, self.index]
