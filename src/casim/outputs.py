"""Outcomes the model records, declared apart from the model (as in EMA Workbench).

Each :class:`Output` has dimensions, units and a description, and a function reading its
value from a model; :class:`Recorder` stores them quarter by quarter in preallocated
arrays of shape ``(members, quarters, *dims)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from casim.channels import REM, SECURITY, shares
from casim.economy import cross_river, regional_cooperation
from casim.errors import RunFailed
from casim.government import hedging_index
from casim.world import DTYPE, axis_sum

if TYPE_CHECKING:  # pragma: no cover
    from casim.model import CentralAsiaModel


@dataclass(frozen=True)
class Output:
    """A recorded variable.

    Attributes:
        name: Variable name in results.
        dims: Dimensions after ``member`` and ``quarter``.
        units: Units.
        description: What it measures.
        read: Function returning ``(members, *dims)`` from a model.
    """

    name: str
    dims: tuple[str, ...]
    units: str
    description: str
    read: Callable[[CentralAsiaModel], np.ndarray]

    @property
    def attrs(self) -> dict[str, str]:
        """netCDF attributes following the CF conventions: every output is a dimensionless
        share or index, so ``units`` is CF's "1" and the scale is spelled out in ``comment``;
        ``long_name`` is what xarray and CF tools label plots with."""
        return {
            "long_name": self.description,
            "units": "1",
            "comment": f"scale: {self.units}",
            "description": self.description,
        }


def _weights(model: CentralAsiaModel) -> np.ndarray:
    pop = np.broadcast_to(model.params["country.population"], (model.members, 5))
    return pop / axis_sum(pop, 1, keepdims=True)


OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        Output(
            "alignment",
            ("state", "pole"),
            "share (sums to 1 over poles)",
            "orientation of each state toward each power and autonomy",
            lambda m: m.world.alignment,
        ),
        Output(
            "hedging",
            ("state",),
            "0-1 (1 = equal alignment with all poles)",
            "hedging index: normalised entropy of alignment",
            lambda m: hedging_index(m.world.alignment),
        ),
        Output(
            "favourability",
            ("state", "power"),
            "0-1",
            "mean favourability of citizens toward each power",
            lambda m: m.world.opinion,
        ),
        Output(
            "segment_favourability",
            ("state", "power", "segment"),
            "0-1",
            "mean favourability within each citizen segment (NaN if a member has none)",
            lambda m: m.citizens.segment_opinion(),
        ),
        Output(
            "flow",
            ("state", "power", "channel"),
            "fraction of GDP (index for security, media, education)",
            "realised flow from each power to each state in each channel",
            lambda m: m.world.flow,
        ),
        Output(
            "salience",
            ("state", "channel"),
            "fraction of GDP (index for security, media, education)",
            "size of each channel for each state, all partners included (a power's share is flow / salience)",
            lambda m: m.world.total,
        ),
        Output(
            "leverage",
            ("state", "power", "channel"),
            "leverage index",
            "leverage a power holds over a state through a channel: jurisdiction x vulnerability "
            "net of reverse dependence",
            lambda m: m.world.leverage,
        ),
        Output(
            "weaponised",
            ("state", "power", "channel"),
            "0-1",
            "whether a power weaponises a channel against a state",
            lambda m: m.world.weaponised,
        ),
        Output(
            "gdp_index",
            ("state",),
            "index (start = 1)",
            "real GDP relative to the start",
            lambda m: np.exp(m.world.log_gdp),
        ),
        Output(
            "remittances",
            ("state",),
            "fraction of GDP",
            "remittance inflows relative to start-year GDP",
            lambda m: m.world.total[..., REM],
        ),
        Output(
            "remittances_usd",
            ("state",),
            "bn USD per year (start prices)",
            "dollar value of remittance inflows: flows as a fraction of start GDP times start GDP",
            lambda m: m.world.total[..., REM] * np.broadcast_to(m.params["country.gdp"], (m.members, 5)),
        ),
        Output("regime_stability", ("state",), "0-1", "stability of the regime", lambda m: m.world.stability),
        Output(
            "threat",
            ("state", "power"),
            "0-1",
            "threat each state perceives from each power",
            lambda m: m.effective.threat,
        ),
        Output(
            "credibility",
            ("state", "power"),
            "0-1",
            "credibility each state grants each power (coercion costs most with its target)",
            lambda m: m.effective.credibility,
        ),
        Output(
            "guarantee",
            ("state", "power"),
            "0-1",
            "a power guarantees the state's regime",
            lambda m: m.effective.guaranteed,
        ),
        Output(
            "standards",
            ("state", "power"),
            "share",
            "share of technical standards by origin",
            lambda m: m.world.standards,
        ),
        Output(
            "soft_power",
            ("power",),
            "0-1",
            "population-weighted mean favourability across the region",
            lambda m: axis_sum(m.world.opinion * _weights(m)[..., None], 1),
        ),
        Output(
            "hard_power",
            ("power",),
            "share",
            "population-weighted share of the region's security ties (arms, training, bases, alliances)",
            lambda m: axis_sum(shares(m.world)[..., SECURITY] * _weights(m)[..., None], 1),
        ),
        Output(
            "regional_cooperation",
            (),
            "0-1",
            "mean cooperation over the ten pairs of states",
            lambda m: regional_cooperation(m.effective.cooperation),
        ),
        Output(
            "ruble",
            (),
            "index (1 = start)",
            "real value of the ruble in dollars as the model used it",
            lambda m: m.effective.ruble,
        ),
        Output(
            "russia_output_gap",
            (),
            "log points",
            "Russia's output gap as the model used it",
            lambda m: m.effective.russia_gap,
        ),
        Output(
            "diversification",
            ("state", "channel"),
            "substitutability",
            "durable rise of substitutability after coercion (new routes and destinations)",
            lambda m: m.world.diversification,
        ),
        Output(
            "water_cooperation",
            ("state",),
            "0-1",
            "cooperation on shared rivers with the states across the upstream-downstream divide (mean)",
            lambda m: cross_river(m.params, m.world.water_cooperation),
        ),
        Output(
            "water_stress",
            ("state",),
            "shortfall (0 = normal)",
            "water availability below normal",
            lambda m: m.world.water_stress,
        ),
    )
}


def check_outputs(names: Sequence[str] | None) -> tuple[str, ...]:
    """Validate a selection of outputs (None = all)."""
    if names is None:
        return tuple(OUTPUTS)
    unknown = [n for n in names if n not in OUTPUTS]
    if unknown:
        from casim.names import suggest

        hint = suggest(unknown[0], OUTPUTS)
        raise ValueError(f"unknown output '{unknown[0]}'" + (f"; did you mean '{hint}'?" if hint else ""))
    return tuple(names)


class NonFiniteResult(RunFailed):
    """A run produced NaN or infinite values: its results must not be used."""


def check_finite(data: dict[str, np.ndarray], member_ids: np.ndarray, labels: Sequence[str], run: str) -> None:
    """Raise :class:`NonFiniteResult` at the earliest non-finite value of any output.

    Where several outputs turn non-finite in the same quarter, the one with the smallest
    share of non-finite values is named: it is the nearest to the origin.

    Args:
        data: Outputs ``{name: (members, quarters, *dims)}``.
        member_ids: Global index of each row.
        labels: Label of each quarter.
        run: Name of the run (scenario or baseline).
    """
    found: list[tuple[int, float, str, tuple[int, ...]]] = []
    for name, arr in data.items():
        bad = ~np.isfinite(arr)
        if not bad.any():
            continue
        where = np.argwhere(bad)
        row = where[np.argmin(where[:, 1])]
        share = float(bad[:, row[1]].mean())
        found.append((int(row[1]), share, name, tuple(int(i) for i in row)))
    if not found:
        return
    # the earliest quarter; there, the output with the fewest bad values is nearest the origin
    found.sort(key=lambda f: (f[0], f[1]))
    first = (found[0][0], found[0][2], found[0][3])
    others = len(found) - 1
    from casim.names import DIMENSIONS

    quarter, name, index = first
    value = data[name][index]
    dims = OUTPUTS[name].dims
    labelled = ", ".join(f"{d}={DIMENSIONS[d][k]}" for d, k in zip(dims, index[2:], strict=True))
    raise NonFiniteResult(
        f"the run '{run}' produced {value} in {name}[{labelled}] for member {int(member_ids[index[0]])} "
        f"from quarter {quarter} ({labels[quarter]}) on"
        + (f" (and in {others} other output{'s' if others > 1 else ''})" if others else "")
        + "; an event or parameter pushes the model outside its valid range (nothing was written)"
    )


class Recorder:
    """Preallocated storage for the selected outputs of one batch.

    Args:
        names: Outputs to record.
        members: Members in the batch.
        horizon: Quarters simulated.
        sizes: Length of each dimension.
        into: Optional arrays to record into (e.g. slices of an ensemble's result), one per
            output, of shape ``(members, horizon + 1, *dims)``; saves a copy per chunk.
    """

    def __init__(
        self,
        names: Sequence[str],
        members: int,
        horizon: int,
        sizes: dict[str, int],
        into: dict[str, np.ndarray] | None = None,
    ):
        self.names = tuple(names)
        self.data = {}
        for name in self.names:
            shape = (members, horizon + 1, *[sizes[d] for d in OUTPUTS[name].dims])
            if into is not None and name in into:
                if into[name].shape != shape:
                    raise ValueError(f"output buffer for {name} has shape {into[name].shape}, expected {shape}")
                self.data[name] = into[name]
            else:
                self.data[name] = np.full(shape, np.nan, DTYPE)

    def record(self, model: CentralAsiaModel, quarter: int) -> None:
        for name in self.names:
            self.data[name][:, quarter] = OUTPUTS[name].read(model)
