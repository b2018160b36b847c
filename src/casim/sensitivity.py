"""Global sensitivity analysis over the documented parameter ranges, with SALib.

Which assumptions does a scenario's effect depend on? Every data and behavioural
parameter carries an uncertainty range (``casim params``). This module turns those ranges
into a SALib problem, samples it with Morris' elementary-effects design or Saltelli's
extension of the Sobol' sequence, runs the whole design as **one batched ensemble** (each
design row is a member whose positions in the ranges are pinned by a
:class:`casim.design.Design`, paired with its baseline on the same positions and the same
random numbers), and analyses one outcome per member (:mod:`casim.outcomes`).

Factors are the *sampling units* of the parameter file (each element of an independently
sampled table, each jointly sampled table), in ``[0, 1]`` units of their ranges, grouped:

* ``parameter``: one factor per parameter table (Morris' default: about 130 groups);
* ``section``: one per section of the parameter file (``alignment``, ``channels.trade``,
  ``flows``, ...: 20 groups; Sobol's default, since Sobol' needs ``N (groups + 2)`` runs);
* ``none``: every unit its own factor.

By default every row shares the random numbers of member 0 (``noise=0``), so rows differ by
their parameters alone; ``noise=None`` gives each row its own, and the analysis then also
sees the model's stochastic spread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from casim.design import Design, SamplingUnit, sampling_units
from casim.errors import CasimError
from casim.experiment import Experiment, run_experiment
from casim.outcomes import Outcome, main_effect
from casim.parameters import ParameterSet
from casim.paramfile import load_parameters
from casim.scenario import Scenario

METHODS = ("morris", "sobol")
GROUPINGS = ("parameter", "section", "none")
DEFAULT_SAMPLES = {"morris": 20, "sobol": 256}
DEFAULT_GROUPS = {"morris": "parameter", "sobol": "section"}
#: Morris grid: levels each factor may take in ``[0, 1]`` of its range.
MORRIS_LEVELS = 4
#: Sections merged so that ``section`` grouping stays at 20 groups.
SECTION_MERGE = {"country": "economy"}
Progress = Callable[[int, int], None]


def section(path: str) -> str:
    """The section of the parameter file a parameter belongs to (``channels.trade.share`` -> ``channels.trade``)."""
    parts = path.split(".")
    name = ".".join(parts[:2]) if len(parts) > 2 else parts[0]
    return SECTION_MERGE.get(name, name)


def pinned_except(params: ParameterSet, keep: Sequence[str]) -> ParameterSet:
    """``params`` with every parameter outside ``keep`` pinned at its value (``keep``: paths or sections).

    Raises:
        CasimError: naming a path that is neither a parameter nor a section.
    """
    known = {p.path for p in params} | {section(p.path) for p in params}
    for item in keep:
        if item not in known:
            from casim.names import suggest

            raise CasimError(
                "--parameters",
                0,
                0,
                "",
                f"'{item}' is neither a parameter nor a section",
                suggestion=suggest(item, known),
            )
    chosen = set(keep)
    overrides = {
        p.path: p.value.tolist() for p in params if p.sampled and p.path not in chosen and section(p.path) not in chosen
    }
    return params.with_overrides(overrides) if overrides else params


def factors(params: ParameterSet, groups: str) -> tuple[list[SamplingUnit], list[str] | None]:
    """The units that vary (a range wider than a point, not pinned) and the group of each."""
    if groups not in GROUPINGS:
        raise CasimError("--groups", 0, 0, "", f"expected one of {', '.join(GROUPINGS)}, got '{groups}'")
    units = [u for u in sampling_units(params) if u.ranged]
    if not units:
        raise CasimError("--parameters", 0, 0, "", "no parameter with a range is left to vary")
    if groups == "none":
        return units, None
    return units, [u.path if groups == "parameter" else section(u.path) for u in units]


def problem(units: list[SamplingUnit], groups: list[str] | None) -> dict[str, Any]:
    """The SALib problem: one factor per unit in ``[0, 1]`` of its range."""
    out: dict[str, Any] = {
        "num_vars": len(units),
        "names": [u.label for u in units],
        "bounds": [[0.0, 1.0]] * len(units),
    }
    if groups is not None:
        out["groups"] = groups
    return out


def sample(prob: dict[str, Any], method: str, samples: int, seed: int) -> np.ndarray:
    """The design matrix (rows, factors) from SALib's sampler for ``method``."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(prob, samples, num_levels=MORRIS_LEVELS, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        if samples & (samples - 1):
            raise CasimError(
                "--samples", 0, 0, "", f"Sobol' samples must be a power of 2 (e.g. 256, 1024), got {samples}"
            )
        return sobol.sample(prob, samples, calc_second_order=False, seed=seed)
    raise CasimError("--method", 0, 0, "", f"expected one of {', '.join(METHODS)}, got '{method}'")


def analyse(prob: dict[str, Any], method: str, x: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """SALib's analysis as a table ranked by importance (μ* for Morris, ST for Sobol')."""
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(prob, x, y, num_levels=MORRIS_LEVELS, conf_level=0.95, seed=seed)
        table = pd.DataFrame(
            {
                "factor": list(res["names"]),
                "mu_star": res["mu_star"],
                "mu_star_conf": res["mu_star_conf"],
                "mu": res["mu"],
                "sigma": res["sigma"],
            }
        )
        key = "mu_star"
    else:
        from SALib.analyze import sobol

        res = sobol.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=seed)
        names = list(dict.fromkeys(prob["groups"])) if "groups" in prob else list(prob["names"])
        table = pd.DataFrame(
            {"factor": names, "ST": res["ST"], "ST_conf": res["ST_conf"], "S1": res["S1"], "S1_conf": res["S1_conf"]}
        )
        key = "ST"
    table = table.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


@dataclass
class Sensitivity:
    """A finished analysis.

    Attributes:
        table: Factors ranked by importance, with confidence intervals.
        outcome: What was analysed.
        method: ``morris`` or ``sobol``.
        samples: Trajectories (Morris) or base samples (Sobol').
        groups: The grouping.
        rows: Design rows (members) run, each with its paired baseline.
        values: The outcome of each row.
        experiment: The runs.
    """

    table: pd.DataFrame
    outcome: Outcome
    method: str
    samples: int
    groups: str
    rows: int
    values: np.ndarray
    experiment: Experiment = field(repr=False)


def run_sensitivity(
    scenario: Scenario,
    *,
    method: str = "morris",
    outcome: Outcome | None = None,
    samples: int | None = None,
    groups: str | None = None,
    parameters: Sequence[str] | None = None,
    seed: int | None = None,
    noise: int | None = 0,
    executor: str = "auto",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Sensitivity:
    """Sample the ranges, run the design as one ensemble with its paired baseline, analyse.

    Args:
        scenario: The scenario.
        method: ``morris`` or ``sobol``.
        outcome: What to analyse (default: the scenario's main alignment effect at its peak,
            :func:`casim.outcomes.main_effect`, found from the design's own runs).
        samples: Morris trajectories (default 20) or Sobol' base samples (a power of 2; 256).
        groups: ``parameter``, ``section`` or ``none`` (default: per method, see module docstring).
        parameters: Vary only these parameters or sections (the rest pinned at their values).
        seed: Seed of the sampler and of the runs (default: the scenario's).
        noise: Member whose random numbers every row shares (None: each row its own).
        executor, scheduler: Where the ensemble runs (:func:`casim.api.run_members`).
        progress: Called with ``(members done, members total)``.
    """
    if method not in METHODS:
        raise CasimError("--method", 0, 0, "", f"expected one of {', '.join(METHODS)}, got '{method}'")
    samples = samples or DEFAULT_SAMPLES[method]
    groups = groups or DEFAULT_GROUPS[method]
    seed = scenario.seed if seed is None else int(seed)
    params = load_parameters()
    if parameters:
        params = pinned_except(params, list(parameters))
    units, group_of = factors(params.with_overrides(scenario.assumptions) if scenario.assumptions else params, groups)
    prob = problem(units, group_of)
    x = sample(prob, method, samples, seed)
    all_units = sampling_units(params)
    position = {u.label: k for k, u in enumerate(all_units)}
    uniforms = np.full((x.shape[0], len(all_units)), 0.5)
    uniforms[:, [position[u.label] for u in units]] = x
    design = Design.from_rows(uniforms, noise=noise)
    names = ["alignment"] if outcome is None else sorted({"alignment", outcome.variable})
    experiment = run_experiment(
        scenario.resolved(sample_ranges=True),
        seed=seed,
        params=params,
        outputs=names,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
        design=design,
    )
    paired = experiment.paired
    outcome = outcome or main_effect(paired)
    y = outcome.per_member(paired).values.astype(np.float64)
    if not np.isfinite(y).all():  # pragma: no cover - runs are checked for non-finite values
        raise CasimError("--outcome", 0, 0, "", "the outcome is not finite in every row")
    table = analyse(prob, method, x, y, seed)
    return Sensitivity(table, outcome, method, samples, groups, x.shape[0], y, experiment)
