"""Parameters as a table: compact values and ranges, for ``casim params`` and docs/parameters.md."""

from __future__ import annotations

import numpy as np

from casim.names import DIMENSIONS
from casim.parameters import Parameter, ParameterSet


def _number(x: float) -> str:
    return "inf" if np.isinf(x) else f"{x:.4g}"


def compact(values: np.ndarray, param: Parameter) -> str:
    """A scalar as a number; a table as its labels when small, else its shape and span."""
    if not param.dims:
        return _number(float(values))
    flat = values.reshape(-1)
    if len(param.dims) == 1 and flat.size <= 8:
        labels = DIMENSIONS[param.dims[0]]
        return ", ".join(f"{label} {_number(v)}" for label, v in zip(labels, flat, strict=True))
    if np.all(flat == flat[0]):
        return f"{_number(flat[0])} everywhere ({' x '.join(param.dims)})"
    return f"{_number(flat.min())} to {_number(flat.max())} ({' x '.join(param.dims)} table)"


def span(param: Parameter) -> str:
    """The uncertainty range: one interval when common to all elements, else the extreme bounds."""
    lo, hi = param.low.reshape(-1), param.high.reshape(-1)
    if np.all(lo == param.value.reshape(-1)) and np.all(hi == param.value.reshape(-1)):
        return "fixed"
    if not param.dims or (np.all(lo == lo[0]) and np.all(hi == hi[0])):
        return f"[{_number(lo[0])}, {_number(hi[0])}]"
    rel = np.where(
        param.value != 0, (param.high - param.value) / np.abs(np.where(param.value != 0, param.value, 1)), np.nan
    )
    finite = rel[np.isfinite(rel)]
    if finite.size and np.allclose(finite, finite[0]):
        return f"value ± {finite[0]:.0%}"
    return f"elementwise, from {_number(lo.min())} to {_number(hi.max())}"


def parameter_rows(params: ParameterSet, search: str | None = None) -> list[dict[str, str]]:
    """One row per parameter (path, value, unit, range, kind, source, description), filtered by ``search``."""
    rows = []
    needle = (search or "").lower()
    for p in params:
        text = " ".join((p.path, p.description, p.source, p.unit)).lower()
        if needle and needle not in text:
            continue
        rows.append(
            {
                "path": p.path,
                "value": compact(p.value, p),
                "unit": p.unit,
                "range": span(p),
                "kind": p.kind,
                "source": p.source,
                "description": p.description,
            }
        )
    return rows


def to_markdown(rows: list[dict[str, str]]) -> str:
    """The rows as a Markdown document."""
    out = [
        "# Parameters",
        "",
        "Every number the model uses, generated from `src/casim/data/baseline.yaml` by",
        "`casim params --markdown > docs/parameters.md` (a test keeps this file in step).",
        "How the behavioural parameters were chosen: [calibration.md](calibration.md).",
        "",
        "| parameter | value | unit | range | kind | source | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        cells = [f"`{r['path']}`", r["value"], r["unit"], r["range"], r["kind"], r["source"], r["description"]]
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out) + "\n"
