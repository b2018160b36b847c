"""Results: pairing a scenario with its baseline, summaries, and the ensemble file.

A *paired* dataset holds both cases on a ``case`` dimension (``baseline``, ``scenario``)
over the same members, which share their random numbers. Differences are taken member
by member before summarising, so bands of differences are much narrower than the
difference of two bands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from casim.errors import CasimError

CASES = ("baseline", "scenario")
QUANTILES = (0.05, 0.5, 0.95)
ENSEMBLE_FILE = "ensemble.nc"


def pair(baseline: xr.Dataset, scenario: xr.Dataset) -> xr.Dataset:
    """Stack a baseline and a scenario run (same members) on a ``case`` dimension."""
    if not np.array_equal(baseline.member.values, scenario.member.values):
        raise ValueError("the baseline and the scenario must cover the same members")
    paired = xr.concat([baseline, scenario], dim=pd.Index(list(CASES), name="case"), combine_attrs="override")
    paired.attrs.update(scenario.attrs)
    paired.attrs["title"] = f"casim run: {scenario.attrs.get('scenario', '')} and its baseline"
    for name in scenario.data_vars:
        paired[name].attrs = dict(scenario[name].attrs)
    return paired


def difference(paired: xr.Dataset) -> xr.Dataset:
    """Scenario minus baseline, member by member."""
    diff = paired.sel(case="scenario", drop=True) - paired.sel(case="baseline", drop=True)
    for name in diff.data_vars:
        diff[name].attrs = dict(paired[name].attrs)
    return diff


def quantiles(values: np.ndarray, qs: tuple[float, ...], axis: int) -> np.ndarray:
    """Quantiles along ``axis`` ignoring NaN (numpy's "linear" method), vectorised.

    ``numpy.nanquantile`` loops in Python over every column; this sorts once. Columns
    with no valid value give NaN. Returns shape ``(len(qs), *others)``.
    """
    x = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    ordered = np.sort(x, axis=-1)  # NaN sort last
    valid = np.sum(~np.isnan(x), axis=-1)
    out = np.empty((len(qs), *x.shape[:-1]))
    last = np.maximum(valid - 1, 0)
    for k, q in enumerate(qs):
        pos = q * last
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, last)
        low = np.take_along_axis(ordered, lo[..., None], axis=-1)[..., 0]
        high = np.take_along_axis(ordered, hi[..., None], axis=-1)[..., 0]
        out[k] = np.where(valid > 0, low + (pos - lo) * (high - low), np.nan)
    return out


def _flatten(da: xr.DataArray) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Reshape ``(..., member, quarter, *extra)`` to rows with state, power and variable labels."""
    extra = [d for d in da.dims if d not in ("case", "member", "quarter")]
    labels = {d: [str(v) for v in da[d].values] for d in extra}
    name = str(da.name)
    rows: list[tuple[str, str, str]] = []
    if not extra:
        rows = [("", "", name)]
    else:
        grids = np.meshgrid(*[np.arange(len(labels[d])) for d in extra], indexing="ij")
        for idx in zip(*[g.ravel() for g in grids], strict=True):
            state = power = ""
            suffix = []
            for d, i in zip(extra, idx, strict=True):
                value = labels[d][i]
                if d == "state":
                    state = value
                elif d in ("power", "pole"):
                    power = value
                else:
                    suffix.append(value)
            rows.append((state, power, ".".join([name, *suffix])))
    values = da.values.reshape(*da.shape[: da.ndim - len(extra)], -1)
    return values, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def summarise(paired: xr.Dataset, variables: list[str] | None = None) -> pd.DataFrame:
    """Tidy summary: one row per case, quarter, state, power and variable.

    Columns: ``case`` (baseline, scenario, difference), ``quarter`` (label), ``year``,
    ``state``, ``power`` (a pole for alignment), ``variable`` (with ``.channel`` or
    ``.segment`` for tables), ``mean``, ``p05``, ``p50``, ``p95``.
    """
    diff = difference(paired).expand_dims(case=["difference"])
    frames = []
    quarter_labels = [str(q) for q in paired["label"].values]
    years = paired["year"].values
    for name in variables or list(paired.data_vars):
        for source in (paired[name], diff[name]):
            values, states, powers, variables_ = _flatten(source.transpose("case", "member", "quarter", ...))
            with np.errstate(invalid="ignore"):
                mean = np.nanmean(values, axis=1)  # (case, quarter, rows)
                q = quantiles(values, QUANTILES, axis=1)  # (3, case, quarter, rows)
            n_case, n_q, n_rows = mean.shape
            cases = np.repeat([str(c) for c in source["case"].values], n_q * n_rows)
            frames.append(
                pd.DataFrame(
                    {
                        "case": cases,
                        "quarter": np.tile(np.repeat(quarter_labels, n_rows), n_case),
                        "year": np.tile(np.repeat(years, n_rows), n_case),
                        "state": np.tile(states, n_case * n_q),
                        "power": np.tile(powers, n_case * n_q),
                        "variable": np.tile(variables_, n_case * n_q),
                        "mean": mean.ravel(),
                        "p05": q[0].ravel(),
                        "p50": q[1].ravel(),
                        "p95": q[2].ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def horizon_table(paired: xr.Dataset, variable: str = "alignment", quarter: int = -1) -> pd.DataFrame:
    """Change versus the baseline at a quarter (default: the horizon), per state and pole.

    Columns: ``state``, ``pole``, ``baseline`` and ``scenario`` (medians), ``change``
    (median of the member-by-member difference), ``p05``, ``p95`` (90 % band of the
    difference), ``p_up`` and ``p_down`` (share of members where it rises or falls).
    """
    at = paired[variable].isel(quarter=quarter)
    diff = (at.sel(case="scenario") - at.sel(case="baseline")).values  # (member, state, pole)
    other = [d for d in at.dims if d not in ("case", "member")]
    base = at.sel(case="baseline").median("member").values
    scen = at.sel(case="scenario").median("member").values
    q = np.quantile(diff, QUANTILES, axis=0)
    tol = 1e-6
    first, second = (at[other[0]].values, at[other[1]].values) if len(other) == 2 else (at[other[0]].values, [""])
    rows = []
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            idx = (i, j) if len(other) == 2 else (i,)
            d = diff[(slice(None), *idx)]
            rows.append(
                {
                    other[0]: str(a),
                    (other[1] if len(other) == 2 else "item"): str(b),
                    "baseline": float(base[idx]),
                    "scenario": float(scen[idx]),
                    "change": float(q[1][idx]),
                    "p05": float(q[0][idx]),
                    "p95": float(q[2][idx]),
                    "p_up": float(np.mean(d > tol)),
                    "p_down": float(np.mean(d < -tol)),
                }
            )
    return pd.DataFrame(rows)


def save_ensemble(paired: xr.Dataset, path: str | Path) -> None:
    """Write the paired ensemble as compressed netCDF-4 (readable with ``xarray.open_dataset``)."""
    encoding = {name: {"zlib": True, "complevel": 4} for name in paired.data_vars}
    paired.to_netcdf(path, engine="h5netcdf", encoding=encoding)


def load_ensemble(folder_or_file: str | Path) -> xr.Dataset:
    """Open a saved ensemble (a results folder or its ``ensemble.nc``), fully loaded.

    Raises:
        CasimError: if the folder holds no readable ensemble.
    """
    path = Path(folder_or_file)
    if path.is_dir():
        path = path / ENSEMBLE_FILE
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except (OSError, ValueError) as err:
        raise CasimError(str(path), 0, 0, "", f"not a casim ensemble file ({err})") from None
