"""Parameters as data: declaration, validation, overrides and per-member sampling.

A parameter is a labelled array (a scalar, or a table over named dimensions such as
``state`` x ``power``) with a unit, a source, an uncertainty range and a kind:

* ``data`` -- an observed initial condition (GDP, shares of flows ...),
* ``behavioural`` -- a rate, elasticity or weight chosen by calibration,
* ``structural`` -- a fact that is not uncertain (treaty memberships) or a switch,
* ``numerical`` -- a resolution setting (citizens per state) that does not describe the world.

Only ``data`` and ``behavioural`` parameters are sampled when a run draws parameters from
their ranges. A table is sampled element by element (``sample: independent``, the default)
or, where its *pattern* across states or powers is the documented content (an ordering the
sources give), with one draw per member moving every element through its range together
(``sample: joint``). Values set by an override (a scenario's ``assumptions:`` or
``parameters:``) are *pinned*: they are never sampled. This module knows nothing of file formats: :meth:`ParameterSet.from_mapping`
takes an already-parsed mapping (see :mod:`casim.paramfile` for the YAML file).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from casim import names
from casim.names import DIMENSIONS, UnknownName

KINDS = ("data", "behavioural", "structural", "numerical")
SAMPLED_KINDS = ("data", "behavioural")
SAMPLING = ("independent", "joint")
#: When the model reads a parameter: every quarter (``run``), or only to build the start state.
STAGES = ("run", "start")
DEFAULT_KEY = "_default"


class ParameterError(ValueError):
    """A parameter declaration, path or value is invalid.

    Attributes:
        path: Dotted path of the parameter concerned (may be empty).
        suggestion: A close known path or label, when one exists.
    """

    def __init__(self, path: str, message: str, suggestion: str | None = None):
        self.path, self.suggestion, self.detail = path, suggestion, message
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"{path}: {message}{hint}" if path else f"{message}{hint}")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter.

    Attributes:
        path: Dotted name, e.g. ``channels.remittances.size``.
        value: Array of shape given by ``dims`` (float64).
        dims: Names of the axes (keys of :data:`casim.names.DIMENSIONS`).
        unit: Physical or index unit.
        source: Where the value comes from (seed file and section, citation, or assumption).
        low, high: Uncertainty range, arrays of the value's shape.
        bounds: Hard limits any value must respect (after overrides and sampling).
        description: What the parameter means.
        kind: One of :data:`KINDS`.
        sample: ``independent`` (each element drawn on its own) or ``joint`` (one draw per member
            for the whole table), see :data:`SAMPLING`.
        pinned: Elements an override fixed (never sampled), or None.
        stage: ``start`` if the model reads it only while building the start state (events
            cannot change it during a run), else ``run``.
    """

    path: str
    value: np.ndarray
    dims: tuple[str, ...]
    unit: str
    source: str
    low: np.ndarray
    high: np.ndarray
    bounds: tuple[float, float]
    description: str
    kind: str
    sample: str = "independent"
    pinned: np.ndarray | None = None
    stage: str = "run"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(DIMENSIONS[d]) for d in self.dims)

    @property
    def sampled(self) -> bool:
        return self.kind in SAMPLED_KINDS

    @property
    def init_only(self) -> bool:
        """Read only while building the start state: events cannot change it during a run."""
        return self.stage == "start"


# --------------------------------------------------------------------------- tables


def _table_to_array(path: str, raw: Any, dims: Sequence[str]) -> np.ndarray:
    """Convert a nested mapping keyed by labels (or a scalar broadcast) into an array."""
    shape = tuple(len(DIMENSIONS[d]) for d in dims)
    if not dims:
        return np.asarray(_number(path, raw), dtype=float)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return np.full(shape, float(raw))
    if isinstance(raw, list):
        arr = np.asarray(raw, dtype=float)
        if arr.shape != shape:
            raise ParameterError(path, f"expected a table of shape {shape} over {list(dims)}, got {arr.shape}")
        return arr
    if not isinstance(raw, Mapping):
        raise ParameterError(path, f"expected a number or a table over {list(dims)}, got {type(raw).__name__}")
    dim, rest = dims[0], dims[1:]
    labels = DIMENSIONS[dim]
    out = np.full(shape, np.nan)
    if DEFAULT_KEY in raw:
        out[...] = _table_to_array(f"{path}.{DEFAULT_KEY}", raw[DEFAULT_KEY], rest)
    for key, sub in raw.items():
        if key == DEFAULT_KEY:
            continue
        try:
            label = names.resolve(dim, key)
        except UnknownName as err:
            raise ParameterError(f"{path}.{key}", f"not a {dim}", err.suggestion) from None
        out[labels.index(label)] = _table_to_array(f"{path}.{label}", sub, rest)
    missing = [labels[i] for i in range(len(labels)) if np.isnan(out[i]).any()]
    if missing:
        raise ParameterError(path, f"no value for {dim} {', '.join(missing)} (give them or a '{DEFAULT_KEY}')")
    return out


def _number(path: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ParameterError(path, f"expected a finite number, got {raw!r}")
    return float(raw)


def _range_arrays(path: str, spec: Any, value: np.ndarray, dims: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(spec, list) and len(spec) == 2 and all(isinstance(x, (int, float)) for x in spec):
        low, high = np.full_like(value, float(spec[0])), np.full_like(value, float(spec[1]))
    elif isinstance(spec, Mapping) and set(spec) == {"rel"}:
        rel = _number(f"{path}.range.rel", spec["rel"])
        low, high = value - np.abs(value) * rel, value + np.abs(value) * rel
    elif isinstance(spec, Mapping) and set(spec) == {"abs"}:
        half = _number(f"{path}.range.abs", spec["abs"])
        low, high = value - half, value + half
    elif isinstance(spec, Mapping) and set(spec) == {"low", "high"}:
        low = _table_to_array(f"{path}.range.low", spec["low"], dims)
        high = _table_to_array(f"{path}.range.high", spec["high"], dims)
    else:
        raise ParameterError(path, "range must be [low, high], {rel: x}, {abs: x} or {low: ..., high: ...}")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def _build(path: str, decl: Mapping[str, Any]) -> Parameter:
    required = {"value", "unit", "source", "range", "description", "kind"}
    allowed = required | {"dims", "bounds", "sample", "stage"}
    missing = sorted(required - set(decl))
    if missing:
        raise ParameterError(path, f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(decl) - allowed)
    if unknown:
        raise ParameterError(path, f"unknown field '{unknown[0]}'", names.suggest(unknown[0], allowed))
    dims = tuple(decl.get("dims") or ())
    for d in dims:
        if d not in DIMENSIONS:
            raise ParameterError(path, f"unknown dimension '{d}'", names.suggest(d, DIMENSIONS))
    kind = decl["kind"]
    if kind not in KINDS:
        raise ParameterError(path, f"kind must be one of {', '.join(KINDS)}", names.suggest(str(kind), KINDS))
    sample = decl.get("sample", "independent")
    if sample not in SAMPLING:
        raise ParameterError(path, f"sample must be one of {', '.join(SAMPLING)}", names.suggest(str(sample), SAMPLING))
    stage = decl.get("stage", "run")
    if stage not in STAGES:
        raise ParameterError(path, f"stage must be one of {', '.join(STAGES)}", names.suggest(str(stage), STAGES))
    for text_field in ("unit", "source", "description"):
        if not isinstance(decl[text_field], str) or not decl[text_field].strip():
            raise ParameterError(path, f"'{text_field}' must be a non-empty text")
    value = _table_to_array(path, decl["value"], dims)
    low, high = _range_arrays(path, decl["range"], value, dims)
    bounds_raw = decl.get("bounds", [-math.inf, math.inf])
    bounds = (float(bounds_raw[0]), float(bounds_raw[1]))
    low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    if np.any(low > value + 1e-12) or np.any(high < value - 1e-12):
        raise ParameterError(path, "the value lies outside its own uncertainty range")
    if np.any(value < bounds[0]) or np.any(value > bounds[1]):
        raise ParameterError(path, f"value outside bounds {list(bounds)}")
    return Parameter(
        path=path,
        value=value,
        dims=dims,
        unit=decl["unit"],
        source=decl["source"],
        low=low,
        high=high,
        bounds=bounds,
        description=decl["description"],
        kind=kind,
        sample=sample,
        stage=stage,
    )


def _walk(prefix: str, node: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key, sub in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if not isinstance(sub, Mapping):
            raise ParameterError(path, "expected a group of parameters or a parameter declaration")
        if "value" in sub:
            yield path, sub
        else:
            yield from _walk(path, sub)


# --------------------------------------------------------------------------- distributions


@dataclass(frozen=True)
class Distribution:
    """A distribution for an uncertain parameter, sampled by inverse transform.

    ``kind`` is ``uniform`` (low, high), ``normal`` (mean, sd; truncated to the
    parameter's bounds), ``triangular`` (low, mode, high) or ``scale`` (low, high: a
    factor multiplying the declared value).
    """

    kind: str
    low: float = 0.0
    high: float = 1.0
    mode: float = 0.0
    mean: float = 0.0
    sd: float = 1.0

    def ppf(self, u: np.ndarray, value: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
        """Map uniforms ``u`` (any shape broadcasting with ``value``) to draws."""
        if self.kind == "uniform":
            out = self.low + u * (self.high - self.low)
        elif self.kind == "scale":
            out = value * (self.low + u * (self.high - self.low))
        elif self.kind == "triangular":
            a, c, b = self.low, self.mode, self.high
            cut = (c - a) / (b - a) if b > a else 0.5
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1 - u) * (b - a) * (b - c))
            out = np.where(u < cut, left, right)
        elif self.kind == "normal":
            from scipy.special import ndtr, ndtri

            lo = ndtr((bounds[0] - self.mean) / self.sd) if math.isfinite(bounds[0]) else 0.0
            hi = ndtr((bounds[1] - self.mean) / self.sd) if math.isfinite(bounds[1]) else 1.0
            q = np.clip(lo + u * (hi - lo), 1e-12, 1 - 1e-12)
            out = self.mean + self.sd * ndtri(q)
        else:  # pragma: no cover - validated by the scenario layer
            raise ValueError(f"unknown distribution {self.kind}")
        return np.clip(out, *bounds)


# --------------------------------------------------------------------------- the set


@dataclass(frozen=True)
class ParameterSet:
    """An ordered, validated collection of parameters.

    Use :meth:`from_mapping` to build one, :meth:`with_overrides` to change values and
    :meth:`resolve` to obtain per-member arrays for a run.
    """

    params: dict[str, Parameter]
    origin: str = "<mapping>"
    version: str = ""

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], origin: str = "<mapping>") -> ParameterSet:
        """Validate a parsed parameter document ``{version, parameters: {...}}``."""
        if not isinstance(doc, Mapping) or "parameters" not in doc:
            raise ParameterError("", f"{origin}: expected a mapping with a 'parameters' group")
        params = {path: _build(path, decl) for path, decl in _walk("", doc["parameters"])}
        return cls(params=params, origin=origin, version=str(doc.get("version", "")))

    # -- access ------------------------------------------------------------------
    def __getitem__(self, path: str) -> Parameter:
        try:
            return self.params[path]
        except KeyError:
            raise ParameterError(path, "no such parameter", names.suggest(path, self.params)) from None

    def __contains__(self, path: object) -> bool:
        return path in self.params

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.params.values())

    def __len__(self) -> int:
        return len(self.params)

    def value(self, path: str) -> np.ndarray:
        """The declared value of ``path`` (a copy)."""
        return self[path].value.copy()

    def split_path(self, path: str) -> tuple[Parameter, tuple[int, ...]]:
        """Split ``a.b.c.Label1.Label2`` into its parameter and the index of the element.

        Labels may be names, codes or aliases. Raises :class:`ParameterError` with a
        suggestion when the path names no parameter or a label is unknown.
        """
        if path in self.params:
            return self.params[path], ()
        parts = path.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:cut])
            if head in self.params:
                param = self.params[head]
                labels = parts[cut:]
                if len(labels) > len(param.dims):
                    raise ParameterError(path, f"'{head}' has only {len(param.dims)} dimension(s) {list(param.dims)}")
                idx = []
                for dim, label in zip(param.dims, labels, strict=False):
                    try:
                        idx.append(names.index(dim, label))
                    except UnknownName as err:
                        raise ParameterError(path, f"'{label}' is not a {dim}", err.suggestion) from None
                return param, tuple(idx)
        raise ParameterError(path, "no such parameter", names.suggest(path, self.params))

    # -- changes -----------------------------------------------------------------
    def with_overrides(self, overrides: Mapping[str, Any]) -> ParameterSet:
        """Return a copy with values replaced.

        Args:
            overrides: ``{dotted path: value}``; the path may end in labels selecting one
                element or a sub-table, and the value may be a number or a table.
        """
        params = dict(self.params)
        for path, raw in overrides.items():
            param, idx = self.split_path(path)
            param = params[param.path]
            value = param.value.copy()
            sub_dims = param.dims[len(idx) :]
            new = _table_to_array(path, raw, sub_dims)
            value[idx] = new
            lo, hi = param.bounds
            if np.any(value < lo) or np.any(value > hi):
                raise ParameterError(path, f"value {raw!r} outside the bounds [{lo}, {hi}] of {param.path}")
            pinned = np.zeros(param.shape, dtype=bool) if param.pinned is None else param.pinned.copy()
            pinned[idx] = True
            # The range follows the value when an override moves it outside; pinned elements are not sampled.
            params[param.path] = replace(
                param,
                value=value,
                low=np.minimum(param.low, value),
                high=np.maximum(param.high, value),
                pinned=pinned,
            )
        return replace(self, params=params)

    # -- resolution for a run ----------------------------------------------------
    def resolve(
        self,
        members: Sequence[int],
        seed: int,
        *,
        sample_ranges: bool = False,
        uncertain: Mapping[str, Distribution] | None = None,
        dtype: type = np.float32,
        design: Any = None,
    ) -> ParamArrays:
        """Per-member parameter arrays for the given members.

        Member ``k`` draws its parameters from its own stream spawned from ``seed``
        (see :func:`casim.rng.parameter_uniforms`), so a member's values do not depend on
        which other members are in the batch.

        Args:
            members: Global member indices.
            seed: The run's seed.
            sample_ranges: Draw every ``data`` and ``behavioural`` parameter uniformly from
                its uncertainty range (elementwise independent).
            uncertain: Distributions for chosen paths (whole parameters or single elements);
                these take precedence over range sampling.
            dtype: Floating type of the arrays.
            design: A :class:`casim.design.Design` giving each member's positions in the
                ranges instead of its own draws (used with ``sample_ranges``).
        """
        from casim import rng as rng_mod  # local import keeps the module graph acyclic

        uncertain = dict(uncertain or {})
        arrays: dict[str, np.ndarray] = {p.path: p.value.astype(dtype)[None] for p in self}
        n = len(members)
        if sample_ranges:
            for p, block in self._range_uniforms(members, seed, design):
                drawn = p.low + block * (p.high - p.low)
                if p.pinned is not None:
                    drawn = np.where(p.pinned, p.value, drawn)
                arrays[p.path] = drawn.astype(dtype)
        for path in sorted(uncertain):
            param, idx = self.split_path(path)
            dist = uncertain[path]
            key = zlib.crc32(path.encode())
            sub_shape = param.value[idx].shape
            # A scale factor multiplies the whole (sub-)table by one draw; others draw per element.
            draw_shape = (1,) * len(sub_shape) if dist.kind == "scale" else sub_shape
            size = int(np.prod(draw_shape, dtype=int))
            u = rng_mod.parameter_uniforms(seed, members, f"uncertain:{key}", size).reshape((n, *draw_shape))
            arr = np.broadcast_to(arrays[param.path], (n, *param.shape)).astype(dtype)
            arr[(slice(None), *idx)] = dist.ppf(u, param.value[idx], param.bounds)
            arrays[param.path] = arr
        return ParamArrays(arrays, n)

    def _range_uniforms(
        self, members: Sequence[int], seed: int, design: Any = None
    ) -> list[tuple[Parameter, np.ndarray]]:
        """For every sampled parameter, uniforms ``(n, *shape)`` placing each element in its range.

        One stream per member feeds every parameter in file order: each element of an
        ``independent`` table takes its own uniform; a ``joint`` table takes one for all its
        elements (these are the *sampling units* of :func:`casim.design.sampling_units`). A
        design supplies the uniforms instead.
        """
        from casim import rng as rng_mod

        sampled = [p for p in self if p.sampled]
        sizes = [int(np.prod(p.shape, dtype=int)) if p.sample == "independent" else 1 for p in sampled]
        if design is not None:
            u = design.rows(members)
            if u.shape[1] != sum(sizes):
                raise ValueError(f"the design has {u.shape[1]} units, the parameters {sum(sizes)}")
        else:
            u = rng_mod.parameter_uniforms(seed, members, "ranges", sum(sizes))
        out, start, n = [], 0, len(members)
        for p, size in zip(sampled, sizes, strict=True):
            block = u[:, start : start + size]
            start += size
            shape = (n, *p.shape) if p.sample == "independent" else (n,) + (1,) * len(p.shape)
            out.append((p, np.broadcast_to(block.reshape(shape), (n, *p.shape))))
        return out

    def varying(self, *, sample_ranges: bool, uncertain: Mapping[str, Distribution] | None = None) -> list[str]:
        """Paths of the parameters that may differ between members of a run: those drawn from
        their ranges (sampled kinds with a range, not wholly pinned) and those given a
        distribution in ``uncertain``."""
        chosen = {self.split_path(path)[0].path for path in uncertain or {}}
        out = []
        for p in self:
            ranged = p.sampled and bool(np.any(p.high > p.low)) and (p.pinned is None or not p.pinned.all())
            if p.path in chosen or (sample_ranges and ranged):
                out.append(p.path)
        return out

    @property
    def dynamic(self) -> frozenset[str]:
        """Paths the model reads every quarter: the ones events may change."""
        return frozenset(p.path for p in self if not p.init_only)

    def uncovered(self, used: set[str]) -> list[str]:
        """Paths in ``used`` that this set does not declare (for provenance tests)."""
        return sorted(path for path in used if path not in self.params)


@dataclass
class ParamArrays:
    """Per-member parameter values: ``arrays[path]`` has shape ``(n or 1, *dims)``.

    A leading axis of length 1 broadcasts over all members. :meth:`__getitem__` records
    which paths the model reads so tests can check that every used number is declared.
    """

    arrays: dict[str, np.ndarray]
    members: int
    used: set[str] = field(default_factory=set)

    def __getitem__(self, path: str) -> np.ndarray:
        self.used.add(path)
        try:
            return self.arrays[path]
        except KeyError:
            raise ParameterError(path, "the model asked for a parameter the file does not declare") from None

    def scalar(self, path: str) -> float:
        """A parameter that is the same for every member, as a Python float.

        Used for structural and numerical settings (sizes, counts) that shape arrays.
        """
        arr = self[path]
        if arr.shape[0] != 1 and not np.all(arr == arr[:1]):
            raise ParameterError(path, "must not vary between members")
        return float(np.asarray(arr).reshape(arr.shape[0], -1)[0, 0])

    def per_member(self, path: str) -> np.ndarray:
        """The parameter broadcast to an explicit member axis of length ``members``."""
        arr = self[path]
        return np.broadcast_to(arr, (self.members, *arr.shape[1:]))

    def take(self, rows: np.ndarray) -> ParamArrays:
        """The subset of members at positions ``rows`` (arrays of length 1 are kept)."""
        taken = {k: (v if v.shape[0] == 1 else v[rows]) for k, v in self.arrays.items()}
        return ParamArrays(taken, len(rows), self.used)
