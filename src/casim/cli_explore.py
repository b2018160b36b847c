"""``casim sensitivity``, ``discover`` and ``robust``: the analyst's exploratory commands.

Thin commands over :mod:`casim.sensitivity` (SALib), :mod:`casim.discover` (EMA
Workbench's PRIM and feature scoring) and :mod:`casim.robust`. Each writes a results folder
(tables as CSV, a figure, a manifest) and prints its main table. Outcomes are written as
expressions (``alignment:Tajikistan:Russia:peak``, see :mod:`casim.outcomes`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from casim.cli_common import (
    Executor,
    Plots,
    Quiet,
    Scheduler,
    app,
    check_executor,
    command_line,
    handled,
    out,
    progress_bar,
    track,
)
from casim.rng import MAX_MEMBERS, MAX_SEED

OUTCOME_HELP = (
    "What to measure per member, VARIABLE:LABEL...[:peak|horizon|mean][:change|level], e.g. "
    "alignment:Tajikistan:Russia:peak, gdp_index:Kazakhstan:horizon, alignment:*:EU:mean (* = mean over the dimension)."
)
Out = Annotated[Path | None, typer.Option("--out", "-o", help="Folder to create (default results/<command>/...).")]
Seed = Annotated[int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED, help="Seed (default: the scenario's).")]


def _print_table(table, title: str, columns: dict[str, Callable[[Any], str]], quiet: bool, rows: int = 15) -> None:
    """Print the first ``rows`` of ``table``: one column per header, its cell made by the function."""
    if quiet:
        return
    t = Table(title=title, title_justify="left", show_edge=False)
    for k, header in enumerate(columns):
        t.add_column(header, justify="left" if k == 0 else "right", overflow="fold" if k == 0 else "ellipsis")
    for _, row in table.head(rows).iterrows():
        t.add_row(*[cell(row) for cell in columns.values()])
    out.print(t)


def _save(
    kind: str,
    experiment,
    out_dir: Path | None,
    tables: dict,
    figure: tuple[str, Callable[[], Any]] | None,
    extra: dict,
) -> Path:
    """Write an analysis folder: its tables, its figure (``(file stem, draw)``, drawn only when
    given) and its manifest."""
    from casim.results_folder import write_analysis

    return write_analysis(
        kind,
        experiment,
        out=out_dir,
        tables=tables,
        figures={figure[0]: figure[1]()} if figure is not None else {},
        command=command_line(),
        extra=extra,
    )


def _g(value: float) -> str:
    return "—" if value != value else f"{value:.3g}"


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    method: Annotated[str, typer.Option("--method", "-m", help="morris (screening) or sobol (variance).")] = "morris",
    outcome: Annotated[
        str | None, typer.Option("--outcome", help=OUTCOME_HELP + " Default: the scenario's main alignment effect.")
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=2,
            max=65536,
            help="Morris trajectories (default 20) or Sobol' base samples (a power of 2, default 256).",
        ),
    ] = None,
    groups: Annotated[
        str | None,
        typer.Option(
            "--groups",
            help="Factors: parameter (one per table), section (20 groups) or none (every "
            "element). Default: parameter for Morris, section for Sobol'.",
        ),
    ] = None,
    parameters: Annotated[
        str | None,
        typer.Option("--parameters", help="Vary only these parameters or sections, comma-separated (others pinned)."),
    ] = None,
    seed: Seed = None,
    out_dir: Out = None,
    executor: Executor = "auto",
    scheduler: Scheduler = None,
    plots: Plots = True,
    quiet: Quiet = False,
) -> None:
    """Global sensitivity of a scenario's effect to every documented parameter range (SALib: Morris or Sobol').

    The whole design runs as one batched ensemble: each design row is a member with its positions in the
    ranges pinned, paired with its baseline on the same positions and random numbers."""
    from casim.outcomes import parse_outcome
    from casim.scenario import load_scenario
    from casim.sensitivity import run_sensitivity

    with handled():
        check_executor(executor)
        scn = load_scenario(scenario)
        chosen = parse_outcome(outcome) if outcome else None
        with progress_bar(quiet) as bar:
            result = run_sensitivity(
                scn,
                method=method,
                outcome=chosen,
                samples=samples,
                groups=groups,
                parameters=[p.strip() for p in parameters.split(",") if p.strip()] if parameters else None,
                seed=seed,
                executor=executor,
                scheduler=scheduler,
                progress=track(bar, f"running {method} design of {scn.name} with its baseline"),
            )
        from casim.plots_analysis import sensitivity_figure

        extra = {
            "method": result.method,
            "samples": result.samples,
            "groups": result.groups,
            "design_rows": result.rows,
            "outcome": result.outcome.expression,
        }
        final = _save(
            "sensitivity",
            result.experiment,
            out_dir,
            {"sensitivity": result.table},
            ("sensitivity", lambda: sensitivity_figure(result)) if plots else None,
            extra,
        )
        title = f"{result.method}: {result.outcome.describe()} ({result.outcome.units}); {result.rows} design rows"
        if result.method == "morris":
            columns = {
                "factor": lambda r: f"{r['rank']}. {r['factor']}",
                "μ* [95 % CI]": lambda r: f"{_g(r['mu_star'])} ± {_g(r['mu_star_conf'])}",
                "μ": lambda r: _g(r["mu"]),
            }
        else:
            columns = {
                "factor": lambda r: f"{r['rank']}. {r['factor']}",
                "ST [95 % CI]": lambda r: f"{r['ST']:.3f} ± {r['ST_conf']:.3f}",
                "S1 [95 % CI]": lambda r: f"{r['S1']:.3f} ± {r['S1_conf']:.3f}",
            }
        _print_table(result.table, escape(title), columns, quiet)
        out.print(str(final) if quiet else f"results written to {final}")


@app.command()
def discover(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    outcome: Annotated[str, typer.Option("--outcome", help=OUTCOME_HELP)],
    threshold: Annotated[float, typer.Option("--threshold", "-t", help="Members at or above it are cases.")],
    below: Annotated[bool, typer.Option("--below", help="Cases are members at or below the threshold.")] = False,
    members: Annotated[
        int | None, typer.Option("--members", "-n", min=50, max=MAX_MEMBERS, help="Sampled futures (default 1000).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=200, help="Parameters PRIM peels (best by score).")] = 20,
    density: Annotated[
        float, typer.Option("--density", min=0.05, max=1.0, help="Density the chosen box must reach.")
    ] = 0.8,
    seed: Seed = None,
    out_dir: Out = None,
    executor: Executor = "auto",
    scheduler: Scheduler = None,
    plots: Plots = True,
    quiet: Quiet = False,
) -> None:
    """Scenario discovery: in which region of the parameter ranges does the outcome cross the threshold?
    (EMA Workbench: feature scoring and PRIM over the members' parameter draws.)"""
    from casim.discover import run_discover
    from casim.outcomes import parse_outcome
    from casim.scenario import load_scenario

    with handled():
        check_executor(executor)
        scn = load_scenario(scenario)
        chosen = parse_outcome(outcome)
        with progress_bar(quiet) as bar:
            found = run_discover(
                scn,
                chosen,
                threshold,
                below=below,
                members=members,
                seed=seed,
                top=top,
                density=density,
                executor=executor,
                scheduler=scheduler,
                progress=track(bar, f"running {scn.name} over sampled futures"),
            )
        from casim.plots_analysis import discovery_figure

        extra = {
            "outcome": chosen.expression,
            "threshold": threshold,
            "cases_are": "at or below" if below else "at or above",
            "cases": int(found.cases.sum()),
            "chosen_box": {"coverage": found.coverage, "density": found.density, "position": found.chosen},
        }
        final = _save(
            "discover",
            found.experiment,
            out_dir,
            {"box": found.box, "trajectory": found.trajectory, "features": found.features},
            ("discovery", lambda: discovery_figure(found)) if plots else None,
            extra,
        )
        if not quiet:
            side = "≤" if below else "≥"
            out.print(
                f"{int(found.cases.sum())} of {found.cases.size} members have {chosen.describe()} {side} {threshold:g}"
            )
            out.print(f"chosen box: coverage {found.coverage:.0%}, density {found.density:.0%}")
        if found.box.empty and not quiet:
            out.print(
                "no restriction was needed: the cases already make up the requested density of all members; "
                "raise --threshold (fewer cases) or --density"
            )
        box_columns = {
            "parameter": lambda r: r["parameter"],
            "in the box": lambda r: f"{_g(r['box_low'])} to {_g(r['box_high'])}",
            "sampled range": lambda r: f"{_g(r['range_low'])} to {_g(r['range_high'])}",
            "quasi-p": lambda r: _g(r["qp"]),
        }
        _print_table(found.box, "restricted parameters", box_columns, quiet)
        scores = {"parameter": lambda r: r["parameter"], "score": lambda r: f"{r['score']:.4f}"}
        _print_table(found.features, "feature scores (extra trees)", scores, quiet, 8)
        out.print(str(final) if quiet else f"results written to {final}")


@app.command()
def robust(
    scenarios: Annotated[list[Path], typer.Argument(help="Two or more policy scenario files.")],
    outcome: Annotated[str, typer.Option("--outcome", help=OUTCOME_HELP)],
    minimize: Annotated[bool, typer.Option("--minimize", help="Smaller outcomes are better.")] = False,
    threshold: Annotated[
        float | None, typer.Option("--threshold", "-t", help="Report the share of futures reaching it.")
    ] = None,
    members: Annotated[
        int | None, typer.Option("--members", "-n", min=2, max=MAX_MEMBERS, help="Sampled futures (default 300).")
    ] = None,
    seed: Seed = None,
    out_dir: Out = None,
    executor: Executor = "auto",
    scheduler: Scheduler = None,
    plots: Plots = True,
    quiet: Quiet = False,
) -> None:
    """Compare policy scenarios over the same sampled futures: regret, share of futures where each is best,
    satisficing share."""
    from casim.outcomes import parse_outcome
    from casim.robust import run_robust
    from casim.scenario import load_scenario

    with handled():
        check_executor(executor)
        options = [load_scenario(path) for path in scenarios]
        chosen = parse_outcome(outcome)
        with progress_bar(quiet) as bar:
            result = run_robust(
                options,
                chosen,
                minimize=minimize,
                threshold=threshold,
                members=members,
                seed=seed,
                executor=executor,
                scheduler=scheduler,
                progress=track(bar, "running every option over shared futures"),
            )
        from casim.plots_analysis import robust_figure

        values = result.values.reset_index()
        final = _save(
            "robust",
            result.experiment,
            out_dir,
            {"robust": result.table, "outcomes": values},
            ("robust", lambda: robust_figure(result)) if plots else None,
            {"outcome": chosen.expression, "minimize": minimize, "threshold": threshold},
        )
        goal = "smaller is better" if minimize else "larger is better"
        columns = {
            "option": lambda r: r["option"],
            "median [90 %]": lambda r: f"{_g(r['median'])} [{_g(r['p05'])}, {_g(r['p95'])}]",
            "mean regret": lambda r: _g(r["mean_regret"]),
            "max regret": lambda r: _g(r["max_regret"]),
            "best in": lambda r: f"{r['best_share']:.0%}",
        }
        if threshold is not None:
            columns[f"reaches {threshold:g}"] = lambda r: f"{r['satisficing_share']:.0%}"
        _print_table(
            result.table, escape(f"{chosen.describe()} ({goal}); {len(values)} shared futures"), columns, quiet
        )
        out.print(str(final) if quiet else f"results written to {final}")
