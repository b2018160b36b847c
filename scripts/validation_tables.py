"""The tables of docs/validation.md: every fact under sampled and fixed parameters, and the null models.

Run from the repository root (about half a minute):

    python scripts/validation_tables.py > /tmp/tables.md
"""

from __future__ import annotations

import datetime as dt

from casim import __version__
from casim.check import NULL_MODELS, run_check
from casim.facts import FACTS


def _cell(result) -> str:
    low, mid, high = result.band()
    mark = "pass" if result.passed else "**FAIL**"
    return f"{mid:.3g} [{low:.3g}, {high:.3g}], {result.holding:.0%} ({mark})"


def main() -> None:
    today = dt.date.today().isoformat()
    sampled = run_check(members=200, seed=2026, sample_ranges=True)
    fixed = run_check(members=200, seed=2026, sample_ranges=False)
    print(f"casim {__version__}, run on {today}: `casim check` and `casim check --fixed`, 200 members, seed 2026.\n")
    print("| fact | kind | bounds | sampled ranges: median [90 % band], holds in | fixed values | required |")
    print("| --- | --- | --- | --- | --- | --- |")
    for s, f in zip(sampled, fixed, strict=True):
        fact = s.fact
        print(
            f"| `{fact.id}` | {fact.kind} | [{fact.low:g}, {fact.high:g}] | {_cell(s)} | {_cell(f)} | "
            f"{fact.required:.0%} |"
        )
    print(f"\nNull models (`casim check --fixed --members 20 --set ...`), casim {__version__}, {today}:\n")
    print("| null model | pinned | facts failed | which |")
    print("| --- | --- | --- | --- |")
    for name, overrides in NULL_MODELS.items():
        results = run_check(members=20, seed=2026, sample_ranges=False, overrides=overrides)
        failed = [r.fact.id for r in results if not r.passed]
        pins = ", ".join(f"`{k}={v:g}`" for k, v in overrides.items())
        print(f"| {name} | {pins} | {len(failed)} of {len(FACTS)} | {', '.join(f'`{f}`' for f in failed)} |")


if __name__ == "__main__":
    main()
