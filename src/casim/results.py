"""Results: pairing a scenario with its baseline, summaries, and the ensemble file.

A *paired* dataset holds both cases on a ``case`` dimension (``baseline``, ``scenario``)
over the same members, which share their random numbers. Differences are taken member
by member before summarising, so bands of differences are much narrower than the
difference of two bands.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from casim.errors import CasimError
from casim.outputs import OUTPUTS

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


def outputs(paired: xr.Dataset) -> list[str]:
    """The recorded outputs of a paired dataset (variables with a ``case`` dimension)."""
    return [str(name) for name, da in paired.data_vars.items() if "case" in da.dims]


def difference(paired: xr.Dataset) -> xr.Dataset:
    """Scenario minus baseline, member by member (recorded outputs only)."""
    cases = paired[outputs(paired)]
    diff = cases.sel(case="scenario", drop=True) - cases.sel(case="baseline", drop=True)
    for name in diff.data_vars:
        diff[name].attrs = dict(paired[name].attrs)
    return diff


def quantiles(values: np.ndarray, qs: tuple[float, ...], axis: int) -> np.ndarray:
    """Quantiles along ``axis`` ignoring NaN (numpy's "linear" method), vectorised.

    One sort along ``axis`` (NumPy's SIMD sort, much faster here than ``np.partition`` or
    ``np.nanquantile``), NaN last, then linear interpolation between order statistics.
    Columns with no valid value give NaN. Returns shape ``(len(qs), *others)``.
    """
    values = np.asarray(values)
    ordered = np.moveaxis(values, axis, -1).copy()  # sorting a contiguous last axis is fastest
    ordered.sort(axis=-1)
    n = ordered.shape[-1]
    out = np.empty((len(qs), *ordered.shape[:-1]))
    missing = np.isnan(values).any()
    valid = np.sum(~np.isnan(np.moveaxis(values, axis, -1)), axis=-1) if missing else None
    for k, q in enumerate(qs):
        if valid is None:  # every column complete: the same positions for all
            pos = q * (n - 1)
            lo, hi = int(np.floor(pos)), min(int(np.floor(pos)) + 1, n - 1)
            low, high = ordered[..., lo].astype(np.float64), ordered[..., hi].astype(np.float64)
            out[k] = low + (pos - lo) * (high - low)
        else:
            last = np.maximum(valid - 1, 0)
            pos = q * last
            lo = np.floor(pos).astype(np.intp)
            hi = np.minimum(lo + 1, last)
            low = np.take_along_axis(ordered, lo[..., None], axis=-1)[..., 0].astype(np.float64)
            high = np.take_along_axis(ordered, hi[..., None], axis=-1)[..., 0].astype(np.float64)
            out[k] = np.where(valid > 0, low + (pos - lo) * (high - low), np.nan)
    return out


#: Label columns of ``summary.csv`` taken from an output's dimensions (empty where it has none).
LABEL_COLUMNS = {"state": "state", "power": "power", "pole": "power", "channel": "channel", "segment": "segment"}


def _flatten(da: xr.DataArray) -> tuple[np.ndarray, dict[str, list[str]]]:
    """Reshape ``(..., member, quarter, *extra)`` to rows, with the label columns of every row
    (``state``, ``power``, ``channel``, ``segment``, ``variable``)."""
    extra = [d for d in da.dims if d not in ("case", "member", "quarter")]
    labels = {d: [str(v) for v in da[d].values] for d in extra}
    name = str(da.name)
    columns: dict[str, list[str]] = {c: [] for c in [*dict.fromkeys(LABEL_COLUMNS.values()), "variable"]}
    for combination in itertools.product(*(labels[d] for d in extra)):  # row-major, as the reshape below
        found = dict.fromkeys(columns, "")
        suffix = []  # dimensions without their own column stay in the variable's name
        for d, value in zip(extra, combination, strict=True):
            if d in LABEL_COLUMNS:
                found[LABEL_COLUMNS[d]] = value
            else:
                suffix.append(value)
        found["variable"] = ".".join([name, *suffix])
        for c, v in found.items():
            columns[c].append(v)
    values = da.values.reshape(*da.shape[: da.ndim - len(extra)], -1)
    return values, columns


def _summary_frame(source: xr.DataArray, labels: list[str], years: np.ndarray) -> pd.DataFrame:
    values, columns = _flatten(source.transpose("case", "member", "quarter", ...))
    with np.errstate(invalid="ignore"):
        if np.isnan(values).any():
            mean = np.nanmean(values, axis=1, dtype=np.float64)  # (case, quarter, rows)
        else:
            mean = values.mean(axis=1, dtype=np.float64)
        q = quantiles(values, QUANTILES, axis=1)  # (3, case, quarter, rows)
    n_case, n_q, n_rows = mean.shape
    name = str(source.name)
    units = OUTPUTS[name].units if name in OUTPUTS else str(source.attrs.get("units", ""))
    return pd.DataFrame(
        {
            "case": np.repeat([str(c) for c in source["case"].values], n_q * n_rows),
            "quarter": np.tile(np.repeat(labels, n_rows), n_case),
            "year": np.tile(np.repeat(years, n_rows), n_case),
            "state": np.tile(columns["state"], n_case * n_q),
            "power": np.tile(columns["power"], n_case * n_q),
            "variable": np.tile(columns["variable"], n_case * n_q),
            "channel": np.tile(columns["channel"], n_case * n_q),
            "segment": np.tile(columns["segment"], n_case * n_q),
            "units": units,
            "mean": mean.ravel(),
            "p05": q[0].ravel(),
            "p50": q[1].ravel(),
            "p95": q[2].ravel(),
        }
    )


def summarise(paired: xr.Dataset, variables: list[str] | None = None) -> pd.DataFrame:
    """Tidy summary: one row per case, quarter, state, power and variable.

    Columns: ``case`` (baseline, scenario, difference), ``quarter`` (label), ``year``,
    ``state``, ``power`` (a pole for alignment), ``variable`` (the output's name),
    ``channel`` and ``segment`` (empty for outputs without them), ``units``, then ``mean``,
    ``p05``, ``p50``, ``p95`` over members.

    Works one variable and one state at a time, so a dataset opened lazily from disk is
    never loaded whole.
    """
    labels = [str(q) for q in paired["label"].values]
    years = paired["year"].values
    frames = []
    for name in variables or outputs(paired):
        da = paired[name]
        parts: dict[str, list[pd.DataFrame]] = {"cases": [], "difference": []}
        for lazy in _pieces(da):
            # a loaded copy, dropped after use (load() would keep every piece cached on the lazy
            # pieces, i.e. the whole variable); files store one state per chunk
            piece = lazy.compute()
            diff = (piece.sel(case="scenario") - piece.sel(case="baseline")).expand_dims(case=["difference"])
            quarters = piece["quarter"].values
            parts["cases"].append(_summary_frame(piece, [labels[q] for q in quarters], years[quarters]))
            parts["difference"].append(_summary_frame(diff, [labels[q] for q in quarters], years[quarters]))
        frames += [_ordered(parts["cases"]), _ordered(parts["difference"])]
    return pd.concat(frames, ignore_index=True)


#: Largest block of an output summarised at once (bytes): bounds memory for any ensemble size.
SUMMARY_BLOCK = 64_000_000


def _pieces(da: xr.DataArray) -> Iterator[xr.DataArray]:
    """``da`` split by state, and each state by blocks of quarters, into lazy pieces of at most
    :data:`SUMMARY_BLOCK` bytes (a member's full path is never needed to summarise a quarter)."""
    states = [da.isel(state=slice(i, i + 1)) for i in range(da.sizes["state"])] if "state" in da.dims else [da]
    quarters = da.sizes["quarter"]
    per_quarter = max(1, states[0].size // quarters * da.dtype.itemsize)
    step = max(1, min(quarters, SUMMARY_BLOCK // per_quarter))
    for s in states:
        for q in range(0, quarters, step):
            yield s.isel(quarter=slice(q, q + step))


def _ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-state frames back into case, quarter order (stable)."""
    table = pd.concat(frames, ignore_index=True)
    case = pd.Categorical(table["case"], categories=pd.unique(table["case"])).codes.astype(np.int64)
    quarter = pd.Categorical(table["quarter"], categories=pd.unique(table["quarter"])).codes.astype(np.int64)
    return table.iloc[np.argsort(case * 10_000 + quarter, kind="stable")]


#: Changes whose 90 % band lies within this distance of zero are shown as "≈0", and members
#: count as "up" or "down" only beyond it (display precision of a share is 0.001).
NEGLIGIBLE = 0.001


def peak_quarter(change: xr.DataArray, over: tuple[str, ...] = ()) -> xr.DataArray:
    """The quarter of the largest median absolute change (the one definition casim uses).

    Args:
        change: Member-by-member differences with dims ``member``, ``quarter`` and others.
        over: Dims to take the largest magnitude over first (e.g. ``("pole",)`` for the quarter a
            state moves most toward any pole); the remaining dims keep one peak each.

    Returns:
        Integer quarter positions, one per element of the remaining dims (a scalar if none).
    """
    magnitude = np.abs(change.median("member"))
    if over:
        magnitude = magnitude.max(list(over))
    return magnitude.argmax("quarter")


def _band(values: np.ndarray) -> tuple[float, float, float]:
    low, mid, high = quantiles(values, QUANTILES, axis=0)
    return float(low), float(mid), float(high)


def change_table(paired: xr.Dataset, variable: str = "alignment") -> pd.DataFrame:
    """The change versus the baseline per state and pole: at its peak, at the horizon, and on average.

    Columns: ``state``, ``pole``; ``peak_quarter`` (label of the quarter of the largest median
    absolute change, :func:`peak_quarter`), ``peak`` with ``peak_p05`` and ``peak_p95`` (median
    and 90 % band of the member-by-member change there); ``horizon``, ``horizon_p05``,
    ``horizon_p95`` at the last quarter; ``mean``, ``mean_p05``, ``mean_p95`` of each member's
    mean change over the run (quarters 1 to the horizon); ``p_up`` and ``p_down``: share of
    members whose change at the peak exceeds :data:`NEGLIGIBLE` either way; ``baseline`` and
    ``scenario``: medians at the peak.
    """
    labels = [str(x) for x in paired["label"].values]
    full = paired[variable]
    if "state" in full.dims and full.sizes["state"] > 1:  # one state at a time: memory bounded by a state
        return pd.concat(
            [_change_rows(full.isel(state=[i]), labels) for i in range(full.sizes["state"])], ignore_index=True
        )
    return _change_rows(full, labels)


def _change_rows(da: xr.DataArray, labels: list[str]) -> pd.DataFrame:
    da = da.compute()
    diff = (da.sel(case="scenario") - da.sel(case="baseline")).transpose("member", "quarter", ...)
    others = [d for d in diff.dims if d not in ("member", "quarter")]
    peaks = peak_quarter(diff)
    run_mean = diff.isel(quarter=slice(1, None)).mean("quarter")
    rows = []
    for index in np.ndindex(*[diff.sizes[d] for d in others]):
        where = dict(zip(others, index, strict=True))
        d = diff.isel(where).values  # (member, quarter)
        q = int(peaks.isel(where))
        at_peak = d[:, q]
        row = {dim: str(diff[dim].values[i]) for dim, i in zip(others, index, strict=True)}
        low, mid, high = _band(at_peak)
        row.update({"peak_quarter": labels[q], "peak": mid, "peak_p05": low, "peak_p95": high})
        low, mid, high = _band(d[:, -1])
        row.update({"horizon": mid, "horizon_p05": low, "horizon_p95": high})
        low, mid, high = _band(run_mean.isel(where).values)
        row.update({"mean": mid, "mean_p05": low, "mean_p95": high})
        row["p_up"] = float(np.mean(at_peak > NEGLIGIBLE))
        row["p_down"] = float(np.mean(at_peak < -NEGLIGIBLE))
        row["baseline"] = float(np.median(da.sel(case="baseline").isel(where).values[:, q]))
        row["scenario"] = float(np.median(da.sel(case="scenario").isel(where).values[:, q]))
        rows.append(row)
    return pd.DataFrame(rows)


def negligible(low: float, high: float) -> bool:
    """Whether a 90 % band lies within :data:`NEGLIGIBLE` of zero (shown as "≈0")."""
    return low >= -NEGLIGIBLE and high <= NEGLIGIBLE


def format_change(mid: float, low: float, high: float, sep: str = " ") -> str:
    """A change with its 90 % band (``sep`` between them), or "≈0" when the band is negligible."""
    if negligible(low, high):
        return "≈0"
    return f"{mid:+.3f}{sep}[{low:+.3f},{high:+.3f}]"


def save_ensemble(paired: xr.Dataset, path: str | Path) -> None:
    """Write the paired ensemble as compressed netCDF-4 (readable with ``xarray.open_dataset``)."""
    encoding = {name: {"zlib": True, "complevel": 1, "shuffle": True} for name in paired.data_vars}
    paired.to_netcdf(path, engine="h5netcdf", encoding=encoding)


def open_ensemble(path: str | Path) -> xr.Dataset:
    """Open an ensemble file lazily (variables load when used; close it when done)."""
    return xr.open_dataset(path, engine="h5netcdf")


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
