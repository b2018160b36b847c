"""Scenario discovery: in which region of the assumptions does an outcome of interest occur?

An analyst asks, for example, "in which futures does Kyrgyzstan tip toward China?". The
scenario is run over many members, each with its parameters drawn from their documented
ranges (and recorded, ``parameter_value``); the members where the outcome crosses a
threshold are the *cases of interest*. This module hands the draws and the cases to EMA
Workbench's analysis tools:

* **feature scoring** (extra trees, ``ema_workbench.analysis.feature_scoring``) ranks every
  parameter element by how much it tells cases from the rest;
* **PRIM** (the patient rule induction method, ``ema_workbench.analysis.prim``) peels the
  space of the best-scoring parameters into a box: a few restricted ranges that hold many
  cases (*coverage*: the share of all cases inside the box) at a high concentration
  (*density*: the share of members inside the box that are cases). The peeling trajectory
  shows the trade-off; the box chosen is the one with the largest coverage among those of
  at least the requested density (or, if no box reaches it, the densest box).

PRIM peels only the ``top`` parameters by feature score (default 20): with several hundred
parameter elements and a few thousand members, peeling them all would mostly find noise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from casim.errors import CasimError
from casim.experiment import Experiment, run_experiment
from casim.outcomes import Outcome
from casim.scenario import Scenario

Progress = Callable[[int, int], None]
#: Members run by default (PRIM needs enough cases to peel).
DEFAULT_MEMBERS = 1000
#: Parameters PRIM peels by default: the best by feature score.
DEFAULT_TOP = 20
#: Density a box must reach by default.
DEFAULT_DENSITY = 0.8


def _ema():
    """EMA Workbench's analysis modules (imported quietly; it warns about optional parts)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import feature_scoring, prim
            from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    except ImportError:
        raise CasimError(
            "casim discover", 0, 0, "", "scenario discovery needs EMA Workbench: pip install 'casim[analysis]'"
        ) from None
    return prim, feature_scoring, RuleInductionType


@dataclass
class Discovery:
    """A finished scenario discovery.

    Attributes:
        outcome: The outcome analysed.
        threshold: Its threshold.
        below: Cases are members at or below the threshold (else at or above).
        cases: Whether each member is a case.
        values: The outcome of each member.
        features: Every parameter element's feature score, best first.
        trajectory: PRIM's peeling trajectory (coverage, density, mass, restricted dimensions).
        chosen: Position of the chosen box on the trajectory.
        box: The chosen box: per restricted parameter its range in the box and overall, and
            PRIM's quasi-p-value of the restriction.
        experiment: The runs.
    """

    outcome: Outcome
    threshold: float
    below: bool
    cases: np.ndarray
    values: np.ndarray
    features: pd.DataFrame
    trajectory: pd.DataFrame
    chosen: int
    box: pd.DataFrame
    experiment: Experiment = field(repr=False)

    @property
    def coverage(self) -> float:
        return float(self.trajectory.coverage.iloc[self.chosen])

    @property
    def density(self) -> float:
        return float(self.trajectory.density.iloc[self.chosen])


def draws_frame(data) -> pd.DataFrame:
    """The members' parameter draws as a table (one column per varying element)."""
    if "parameter_value" not in data:
        raise CasimError("", 0, 0, "", "no parameter varies between members (is sample_ranges off?)")
    draws = data["parameter_value"].to_pandas()
    return draws.loc[:, draws.std() > 0].reset_index(drop=True)


def run_discover(
    scenario: Scenario,
    outcome: Outcome,
    threshold: float,
    *,
    below: bool = False,
    members: int | None = None,
    seed: int | None = None,
    top: int = DEFAULT_TOP,
    density: float = DEFAULT_DENSITY,
    executor: str = "auto",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Discovery:
    """Run the scenario over sampled futures and find the region where the outcome crosses ``threshold``.

    Raises:
        CasimError: if no member, or every member, is a case (with the outcome's range), or
            EMA Workbench is missing.
    """
    prim, feature_scoring, kinds = _ema()
    seed = scenario.seed if seed is None else int(seed)
    experiment = run_experiment(
        scenario.resolved(sample_ranges=True),
        members=members or max(scenario.members, DEFAULT_MEMBERS),
        seed=seed,
        outputs=sorted({"alignment", outcome.variable}),
        executor=executor,
        scheduler=scheduler,
        progress=progress,
    )
    values = outcome.per_member(experiment.paired).values.astype(np.float64)
    cases = values <= threshold if below else values >= threshold
    if cases.all() or not cases.any():
        side = "at or below" if below else "at or above"
        raise CasimError(
            "--threshold",
            0,
            0,
            "",
            f"{int(cases.sum())} of {cases.size} members are {side} {threshold:g}; choose a threshold inside the "
            f"outcome's range [{values.min():.4g}, {values.max():.4g}] (median {np.median(values):.4g})",
        )
    x = draws_frame(experiment.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = feature_scoring.get_ex_feature_scores(
            x, cases.astype(int), mode=kinds.CLASSIFICATION, nr_trees=200, random_state=seed % 2**32
        )
        features = scores.reset_index().set_axis(["parameter", "score"], axis=1)
        chosen_columns = list(features.parameter[: max(1, top)])
        # PRIM counts y >= threshold as cases and returns its peeled box if the box's mean reaches
        # it: the base rate (> 0) counts the ones and always accepts; the box is chosen below by density
        base_rate = float(cases.mean())
        search = prim.Prim(x[chosen_columns], cases.astype(int), threshold=base_rate, peel_alpha=0.05, mass_min=0.05)
        box = search.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n", "k"]].reset_index(drop=True)
    good = trajectory.index[trajectory.density >= density]
    chosen = int(trajectory.coverage[good].idxmax()) if len(good) else int(trajectory.density.idxmax())
    return Discovery(
        outcome,
        threshold,
        below,
        cases,
        values,
        features,
        trajectory,
        chosen,
        _box_table(box, chosen, x),
        experiment,
    )


def _box_table(box, chosen: int, x: pd.DataFrame) -> pd.DataFrame:
    """The restricted parameters of box ``chosen``: range in the box, overall range, quasi-p-value."""
    limits = box.box_lims[chosen]
    qp = box.qp[chosen]
    rows = []
    for name in qp:
        low, high = float(limits[name].iloc[0]), float(limits[name].iloc[1])
        rows.append(
            {
                "parameter": name,
                "box_low": low,
                "box_high": high,
                "range_low": float(x[name].min()),
                "range_high": float(x[name].max()),
                "qp": float(np.nanmax([v for v in qp[name] if v is not None and v >= 0] or [np.nan])),
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "box_low", "box_high", "range_low", "range_high", "qp"])
