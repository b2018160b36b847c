"""Outcomes of interest: one number per member, named by a short expression.

Sensitivity analysis, scenario discovery and robustness analysis each ask one question of
every member, such as "how much does Tajikistan's alignment toward Russia change at the
peak of the effect?". An outcome expression names it::

    VARIABLE:LABEL[:LABEL...][:STAT][:MEASURE]

* ``VARIABLE`` is a recorded output (``alignment``, ``gdp_index``, ``remittances``, ...,
  see :data:`casim.outputs.OUTPUTS`);
* one ``LABEL`` per dimension of the variable, in order (``alignment`` has state, then
  pole); ``*`` averages over that dimension (``alignment:*:EU`` is the mean over the five
  states of alignment toward the EU);
* ``STAT`` is ``peak`` (default: at the quarter of the largest median change, the one
  definition of :func:`casim.results.peak_quarter`), ``horizon`` (the last quarter) or
  ``mean`` (the average over the run, start excluded);
* ``MEASURE`` is ``change`` (default: scenario minus its paired baseline, member by member,
  so common random numbers cancel) or ``level`` (the scenario's own value).

Examples: ``alignment:Tajikistan:Russia:peak``, ``gdp_index:Kazakhstan:horizon``,
``alignment:Kyrgyzstan:China:horizon:level``, ``alignment:*:EU:mean``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from casim.errors import CasimError
from casim.names import DIMENSIONS, UnknownName, resolve, suggest
from casim.outputs import OUTPUTS
from casim.results import peak_quarter

STATS = ("peak", "horizon", "mean")
MEASURES = ("change", "level")
ALL = "*"


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome expression (see the module docstring).

    Attributes:
        variable: The output.
        labels: One label per dimension of the output, or ``*`` to average over it.
        stat: ``peak``, ``horizon`` or ``mean``.
        measure: ``change`` or ``level``.
    """

    variable: str
    labels: tuple[str, ...]
    stat: str = "peak"
    measure: str = "change"

    @property
    def expression(self) -> str:
        return ":".join([self.variable, *self.labels, self.stat, self.measure])

    def describe(self) -> str:
        """A phrase for tables and plot titles."""
        dims = OUTPUTS[self.variable].dims
        parts = [
            f"{'mean over ' + d + 's' if label == ALL else label}" for d, label in zip(dims, self.labels, strict=True)
        ]
        where = {"peak": "at its peak", "horizon": "at the horizon", "mean": "on average over the run"}[self.stat]
        what = "change in" if self.measure == "change" else "level of"
        return f"{what} {self.variable} ({', '.join(parts)}) {where}" if parts else f"{what} {self.variable} {where}"

    @property
    def units(self) -> str:
        return OUTPUTS[self.variable].units

    def series(self, data: xr.Dataset, case: str, baseline: str) -> xr.DataArray:
        """The selected series ``(member, quarter)`` of ``case`` (minus ``baseline`` for a change)."""
        values = data[self.variable].sel(case=case)
        if self.measure == "change":
            values = values - data[self.variable].sel(case=baseline)
        for dim, label in zip(OUTPUTS[self.variable].dims, self.labels, strict=True):
            values = values.mean(dim) if label == ALL else values.sel({dim: label})
        return values

    def per_member(self, data: xr.Dataset, case: str = "scenario", baseline: str = "baseline") -> xr.DataArray:
        """One value per member: the series at the peak quarter, the horizon, or averaged."""
        series = self.series(data, case, baseline)
        if self.stat == "horizon":
            out = series.isel(quarter=-1)
        elif self.stat == "mean":
            out = series.isel(quarter=slice(1, None)).mean("quarter")
        else:
            change = (
                series if self.measure == "change" else replace(self, measure="change").series(data, case, baseline)
            )
            out = series.isel(quarter=int(peak_quarter(change)))
        return out.drop_vars([c for c in out.coords if c not in ("member",)], errors="ignore").rename(self.expression)


def parse_outcome(expression: str, option: str = "--outcome") -> Outcome:
    """Parse an outcome expression.

    Raises:
        CasimError: naming what is wrong, with a suggestion where one is close.
    """
    text = str(expression).strip()
    parts = [p.strip() for p in text.split(":")]
    if not text or not parts[0]:
        raise CasimError(option, 0, 0, "", "give an outcome like alignment:Tajikistan:Russia:peak")
    variable = parts[0]
    if variable not in OUTPUTS:
        raise CasimError(
            option, 0, 0, "", f"'{variable}' is not a recorded output", suggestion=suggest(variable, OUTPUTS)
        )
    rest = parts[1:]
    measure = rest.pop() if rest and rest[-1].lower() in MEASURES else "change"
    stat = rest.pop() if rest and rest[-1].lower() in STATS else "peak"
    dims = OUTPUTS[variable].dims
    if len(rest) != len(dims):
        wanted = ":".join([variable, *(f"<{d}>" for d in dims), "[peak|horizon|mean]", "[change|level]"])
        raise CasimError(option, 0, 0, "", f"'{text}': {variable} needs one label per dimension: {wanted}")
    labels = []
    for dim, label in zip(dims, rest, strict=True):
        if label == ALL:
            labels.append(ALL)
            continue
        try:
            labels.append(resolve(dim, label))
        except UnknownName as error:
            raise CasimError(
                option,
                0,
                0,
                "",
                f"'{label}' is not a {dim} (choose from: {', '.join(DIMENSIONS[dim])})",
                suggestion=error.suggestion,
            ) from None
    return Outcome(variable, tuple(labels), stat.lower(), measure.lower())


def main_effect(paired: xr.Dataset) -> Outcome:
    """The scenario's main alignment effect: the state and pole with the largest median change at its peak."""
    change = paired.alignment.sel(case="scenario") - paired.alignment.sel(case="baseline")
    magnitude = np.abs(change.median("member")).max("quarter")
    state, pole = np.unravel_index(int(magnitude.values.argmax()), magnitude.shape)
    return Outcome("alignment", (str(magnitude.state[state].values), str(magnitude.pole[pole].values)))
