"""Robust policy comparison: which option does well across the futures the ranges allow?

Policy options (scenarios) are compared over the **same** sampled futures: every member
draws its parameters from the documented ranges and its random numbers from its own
stream, and every option is run on the same members (common random numbers, common
parameter draws; :func:`casim.experiment.run_experiment`). For each member (future) and
option the outcome is measured against the option's paired baseline. Then, per option:

* the distribution of the outcome (median, 90 % band);
* **regret**: in each future, how far the option falls short of the best option in that
  future (``best - value``; for an outcome to minimise, ``value - best``); its mean, 90th
  percentile and maximum (minimax regret, Savage's criterion);
* the **share of futures where the option is best** (ties share the future);
* with a threshold, the **satisficing share**: the futures where the outcome reaches it
  (Simon's satisficing; the domain criterion of robust decision making).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from casim.errors import CasimError
from casim.experiment import Experiment, run_experiment
from casim.outcomes import Outcome
from casim.scenario import Scenario

Progress = Callable[[int, int], None]
#: Futures (members) by default.
DEFAULT_MEMBERS = 300


@dataclass
class Robustness:
    """A finished comparison.

    Attributes:
        outcome: The outcome compared.
        minimize: Whether smaller is better.
        threshold: The satisficing threshold, if any.
        values: ``(member, option)`` outcome of each option in each future.
        regret: ``(member, option)`` regret of each option in each future.
        table: One row per option (see the module docstring), best first by mean regret.
        experiment: The runs.
    """

    outcome: Outcome
    minimize: bool
    threshold: float | None
    values: pd.DataFrame
    regret: pd.DataFrame
    table: pd.DataFrame
    experiment: Experiment = field(repr=False)


def regret(values: pd.DataFrame, minimize: bool = False) -> pd.DataFrame:
    """Each option's regret in each future (row): its shortfall from the best option there."""
    if minimize:
        return values.sub(values.min(axis=1), axis=0)
    return -values.sub(values.max(axis=1), axis=0)


def best_share(values: pd.DataFrame, minimize: bool = False) -> pd.Series:
    """The share of futures in which each option is best (a tie shares the future)."""
    best = values.min(axis=1) if minimize else values.max(axis=1)
    winners = values.eq(best, axis=0).astype(float)
    return winners.div(winners.sum(axis=1), axis=0).mean()


def summary(values: pd.DataFrame, minimize: bool = False, threshold: float | None = None) -> pd.DataFrame:
    """The per-option table of :class:`Robustness`."""
    regrets = regret(values, minimize)
    table = pd.DataFrame(
        {
            "option": values.columns,
            "median": values.median().values,
            "p05": values.quantile(0.05).values,
            "p95": values.quantile(0.95).values,
            "mean_regret": regrets.mean().values,
            "p90_regret": regrets.quantile(0.9).values,
            "max_regret": regrets.max().values,
            "best_share": best_share(values, minimize).values,
        }
    )
    if threshold is not None:
        met = values.le(threshold) if minimize else values.ge(threshold)
        table["satisficing_share"] = met.mean().values
    return table.sort_values(["mean_regret", "max_regret"], kind="stable").reset_index(drop=True)


def run_robust(
    scenarios: Sequence[Scenario],
    outcome: Outcome,
    *,
    minimize: bool = False,
    threshold: float | None = None,
    members: int | None = None,
    seed: int | None = None,
    executor: str = "auto",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Robustness:
    """Run every option over the same sampled futures and compare them.

    Raises:
        CasimError: with fewer than two options, or options that differ in start or horizon.
    """
    if len(scenarios) < 2:
        raise CasimError("SCENARIO", 0, 0, "", "give at least two policy scenarios to compare")
    sampled = [s.resolved(sample_ranges=True) for s in scenarios]
    experiment = run_experiment(
        sampled,
        members=members or DEFAULT_MEMBERS,
        seed=sampled[0].seed if seed is None else seed,
        outputs=sorted({"alignment", outcome.variable}),
        executor=executor,
        scheduler=scheduler,
        progress=progress,
    )
    columns = {name: outcome.per_member(experiment.pair(name)).values for name in experiment.names}
    values = pd.DataFrame(columns, index=pd.Index(experiment.data.member.values, name="member")).astype(float)
    return Robustness(
        outcome, minimize, threshold, values, regret(values, minimize), summary(values, minimize, threshold), experiment
    )
