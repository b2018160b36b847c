"""What a run is: parameters, horizon, start quarter, interventions and uncertainty.

:class:`RunSpec` is the model core's complete description of a run. YAML scenarios
(:mod:`casim.scenario`) compile to it; Python users may build one directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from casim.interventions import Intervention
from casim.parameters import Distribution, ParameterSet

if TYPE_CHECKING:
    from casim.design import Design

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter such as 2026Q1."""

    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2026Q1`` (also ``2026-Q1``, ``2026q1``).

        Raises:
            ValueError: if ``text`` is not a quarter.
        """
        match = _QUARTER.match(str(text))
        if not match:
            raise ValueError(f"'{text}' is not a quarter like 2026Q1")
        return cls(int(match.group(1)), int(match.group(2)))

    def __add__(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.q - 1) + int(quarters)
        return Quarter(index // 4, index % 4 + 1)

    def __sub__(self, other: Quarter) -> int:
        return (self.year * 4 + self.q) - (other.year * 4 + other.q)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def decimal_year(self) -> float:
        """The quarter's start as a decimal year (2026Q2 -> 2026.25)."""
        return self.year + (self.q - 1) / 4


@dataclass(frozen=True)
class RunSpec:
    """A complete description of a run.

    Attributes:
        params: The parameter set (baseline with any overrides).
        horizon: Quarters to simulate after the start.
        start: Calendar quarter of the start state (quarter index 0).
        interventions: Timed interventions and random events.
        uncertain: Distributions of parameters drawn per member.
        sample_ranges: Draw every data and behavioural parameter from its range per member (the
            default: bands then show what the documented uncertainty implies); overridden values
            stay pinned.
        name: Label of the run.
        design: Each member's positions in the parameter ranges, from a sampling design
            (:class:`casim.design.Design`), instead of its own draws; implies ``sample_ranges``.
    """

    params: ParameterSet
    horizon: int = 40
    start: Quarter = Quarter(2026, 1)
    interventions: tuple[Intervention, ...] = ()
    uncertain: Mapping[str, Distribution] = field(default_factory=dict)
    sample_ranges: bool = True
    name: str = "baseline"
    design: Design | None = None

    def __post_init__(self) -> None:
        if int(self.horizon) < 1:
            raise ValueError(f"horizon must be at least one quarter, got {self.horizon}")
        if self.design is not None and not self.sample_ranges:
            raise ValueError("a design places members in the parameter ranges: it needs sample_ranges")

    def for_members(self, members: Sequence[int]) -> RunSpec:
        """This run as a chunk of ``members`` needs it (a design is cut to their rows)."""
        return self if self.design is None else replace(self, design=self.design.subset(members))

    def without_interventions(self, name: str = "baseline") -> RunSpec:
        """The same run with no interventions (parameters and uncertainty kept)."""
        return replace(self, interventions=(), name=name)

    def event_windows(self) -> list[tuple[int, int]]:
        """Quarters in which the interventions act (see :func:`event_windows`)."""
        return event_windows(self.interventions, self.horizon)

    def quarter_labels(self) -> list[str]:
        """Labels of quarters ``0..horizon``."""
        return [str(self.start + t) for t in range(self.horizon + 1)]


def event_windows(interventions: Sequence[Intervention], horizon: int) -> list[tuple[int, int]]:
    """Quarters in which interventions act, as merged ``(first, last)`` spans of quarter indices
    (1 = the first quarter simulated): a timed event from its start for its duration (to the
    horizon if permanent), a random event over its window (the whole run if none)."""
    spans = []
    for iv in interventions:
        if iv.probability is not None:
            first, last = iv.window if iv.window is not None else (1, horizon)
        else:
            first = iv.start
            last = horizon if iv.duration is None else iv.start + iv.duration - 1
        first, last = max(1, int(first)), min(horizon, int(last))
        if first <= last:
            spans.append((first, last))
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
