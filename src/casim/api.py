"""The Python API: run an ensemble and get a labelled :class:`xarray.Dataset`.

>>> import casim
>>> ds = casim.simulate(members=4, seed=1)            # the baseline
>>> ds.alignment.sel(state="Kazakhstan", pole="Russia").median("member")

Members are processed in chunks (each chunk one :class:`~casim.model.CentralAsiaModel`).
Because every member draws only from its own stream, chunking and the choice of
executor never change results: member ``k`` is the same whether it runs alone, in a
chunk of 250 or in a worker process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import xarray as xr

from casim import kernels
from casim.executors import EXECUTORS, in_processes, on_dask, release, run_chunk
from casim.model import CentralAsiaModel, member_indices
from casim.names import DIMENSIONS
from casim.outputs import OUTPUTS, check_outputs
from casim.spec import RunSpec

if TYPE_CHECKING:
    from casim.scenario import Scenario

#: Members per model: large enough to amortise Python overhead in the state-level step
#: (citizens are updated in cache-sized blocks inside). Never changes results.
DEFAULT_CHUNK = 200

Progress = Callable[[int, int], None]
Sink = Callable[[int, dict[str, np.ndarray]], None]
#: With ``executor="auto"``, ensembles of at least this many members use worker processes.
PARALLEL_FROM = 1000


#: What :func:`simulate` accepts as ``spec``: a run specification, a scenario, the path of a
#: scenario YAML file, or None for the baseline.
SpecLike: TypeAlias = "RunSpec | Scenario | str | os.PathLike[str] | None"


def resolve_spec(spec: SpecLike) -> RunSpec:
    """Turn ``None`` (baseline), a :class:`RunSpec`, a scenario or a scenario path into a RunSpec."""
    return _resolve(spec)[0]


def _resolve(spec: SpecLike) -> tuple[RunSpec, int, int]:
    """The RunSpec of ``spec`` with the members and seed it asks for (scenario defaults otherwise)."""
    from casim.scenario import DEFAULT_MEMBERS, Scenario, load_scenario

    if spec is None:
        from casim.paramfile import load_parameters

        return RunSpec(load_parameters()), DEFAULT_MEMBERS, 0
    if isinstance(spec, RunSpec):
        return spec, DEFAULT_MEMBERS, 0
    if isinstance(spec, (str, os.PathLike)):
        spec = load_scenario(spec)
    if isinstance(spec, Scenario):
        return spec.to_runspec(), spec.members, spec.seed
    raise TypeError(f"cannot simulate a {type(spec).__name__}; give a RunSpec, a Scenario, a path or None")


def run_members(
    spec: RunSpec,
    members: int | Sequence[int],
    seed: int,
    *,
    outputs: Sequence[str] | None = None,
    chunk_size: int | None = None,
    executor: str = "auto",
    workers: int | None = None,
    progress: Progress | None = None,
    sink: Sink | None = None,
    scheduler: str | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Run members in chunks and return ``(member ids, {output: (member, quarter, ...)})``.

    Args:
        spec: The run.
        members: Count N or global member indices.
        seed: The one seed.
        outputs: Outputs to keep (default all).
        chunk_size: Members per model (default :data:`DEFAULT_CHUNK`).
        executor: ``serial`` (in this process), ``processes`` (a pool of workers), ``dask`` (a
            Dask cluster, :mod:`casim.executors`) or ``auto`` (processes from
            :data:`PARALLEL_FROM` members when there is more than one CPU).
        workers: Worker processes for ``processes``, or of the LocalCluster ``dask`` starts
            when no ``scheduler`` is given (default: number of CPUs).
        progress: Called with ``(members done, members total)`` after each chunk.
        sink: If given, receives ``(offset, outputs)`` for each chunk instead of the chunks being
            gathered in memory (the returned dict is then empty): stream large ensembles to disk.
        scheduler: Address of a Dask scheduler for ``dask`` (default: a LocalCluster).
    """
    ids = member_indices(members)
    names = check_outputs(outputs)
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got '{executor}'")
    size = max(1, int(chunk_size or DEFAULT_CHUNK))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    result: dict[str, np.ndarray] = {}
    done = 0

    def store(offset: int, data: dict[str, np.ndarray]) -> None:
        nonlocal done
        if sink is not None:
            sink(offset, data)
        else:
            for name, arr in data.items():
                if name not in result:
                    result[name] = np.empty((len(ids), *arr.shape[1:]), arr.dtype)
                result[name][offset : offset + arr.shape[0]] = arr
        done += next(iter(data.values())).shape[0]
        if progress is not None:
            progress(done, len(ids))

    offsets = np.cumsum([0] + [len(c) for c in chunks[:-1]])
    kernel = kernels.wanted(len(ids))  # by ensemble size: compilation pays for itself on large runs
    cpus = os.cpu_count() or 1
    if executor == "auto":
        executor = "processes" if len(ids) >= PARALLEL_FROM and cpus > 1 else "serial"
    if executor == "serial" or (len(chunks) == 1 and executor != "dask"):
        if sink is None:  # record straight into the result: no copy, no transient chunk arrays
            sizes = {dim: len(labels) for dim, labels in DIMENSIONS.items()}
            for name in names:
                shape = [sizes[d] for d in OUTPUTS[name].dims]
                result[name] = np.empty((len(ids), spec.horizon + 1, *shape), np.float32)
        for offset, chunk in zip(offsets, chunks, strict=True):
            if sink is None:
                into = {name: arr[offset : offset + len(chunk)] for name, arr in result.items()}
                model = CentralAsiaModel(
                    spec.for_members(chunk), chunk, seed, outputs=names, record_into=into, kernel=kernel
                )
                model.run()
                release(model)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(ids))
            else:
                store(int(offset), run_chunk(spec, chunk, seed, names, kernel))
    elif executor == "dask":
        work = list(zip(offsets.tolist(), chunks, strict=True))
        on_dask(spec, work, seed, names, workers or cpus, store, scheduler, kernel)
    else:
        in_processes(
            spec, list(zip(offsets.tolist(), chunks, strict=True)), seed, names, workers or cpus, store, kernel
        )
    return ids, result


def dataset_attrs(specs: Sequence[RunSpec], seed: int, members: int) -> dict[str, Any]:
    """Global attributes of an ensemble dataset (in memory or streamed to ``ensemble.nc``)."""
    from casim import __version__

    first, last = specs[0], specs[-1]
    return {
        "Conventions": "CF-1.8",
        "title": "casim run: " + " and ".join(s.name for s in specs),
        "source": f"casim {__version__} agent-based model of Central Asia's alignments",
        "scenario": last.name,
        "casim_version": __version__,
        "seed": int(seed),
        "horizon": int(first.horizon),
        "start": str(first.start),
        "members": int(members),
        "sample_ranges": int(first.sample_ranges),
        # quarters in which the last case's events act: first, last, first, last, ... (figures shade them)
        "event_quarters": [q for span in last.event_windows() for q in span],
    }


#: The ``time`` coordinate: the first day of each quarter (CF: days since the first quarter).
TIME_ATTRS = {"standard_name": "time", "long_name": "first day of the quarter", "axis": "T"}
#: Attributes of the other coordinates along ``quarter`` and ``member``.
COORD_ATTRS = {
    "member": {"long_name": "ensemble member (member k draws from stream k spawned from the seed)"},
    "quarter": {"long_name": "quarters since the start (0 = start state)"},
    "label": {"long_name": "quarter as YYYYQn"},
    "year": {"long_name": "calendar year at the start of the quarter (decimal)"},
}


def quarter_days(spec: RunSpec) -> tuple[np.ndarray, str]:
    """Days from the first quarter's first day to each quarter's first day, and CF units for them."""
    start = np.datetime64(f"{spec.start.year:04d}-{3 * (spec.start.q - 1) + 1:02d}-01", "D")
    days = np.array(
        [
            (np.datetime64(f"{q.year:04d}-{3 * (q.q - 1) + 1:02d}-01", "D") - start).astype(int)
            for q in (spec.start + t for t in range(spec.horizon + 1))
        ],
        dtype=np.int64,
    )
    return days, f"days since {start} 00:00:00"


def to_dataset(spec: RunSpec, ids: np.ndarray, data: dict[str, np.ndarray], seed: int) -> xr.Dataset:
    """Label raw outputs as an :class:`xarray.Dataset` with units and descriptions."""
    quarters = np.arange(spec.horizon + 1)
    coords: dict[str, Any] = {"member": ids, "quarter": quarters}
    coords.update({dim: list(labels) for dim, labels in DIMENSIONS.items() if dim not in ("partner", "audience")})
    coords["label"] = ("quarter", spec.quarter_labels())
    coords["year"] = ("quarter", [(spec.start + int(t)).decimal_year for t in quarters])
    days, _ = quarter_days(spec)
    first = np.datetime64(f"{spec.start.year:04d}-{3 * (spec.start.q - 1) + 1:02d}-01", "ns")
    coords["time"] = ("quarter", first + days.astype("timedelta64[D]"), TIME_ATTRS)
    variables = {}
    for name, arr in data.items():
        out = OUTPUTS[name]
        variables[name] = xr.Variable(("member", "quarter", *out.dims), arr, attrs=out.attrs)
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs.update(dataset_attrs([spec], seed, len(ids)))
    for coord, attrs in COORD_ATTRS.items():
        ds[coord].attrs.update(attrs)
    return ds


DRAWS = "parameter_value"


def draw_labels(spec: RunSpec) -> tuple[list[str], dict[str, np.ndarray]]:
    """Labels of the parameter elements that may differ between members, and per parameter the
    flat positions of those elements (see :func:`parameter_draws`)."""
    params = spec.params
    chosen: dict[str, np.ndarray] = {}
    for path in spec.uncertain:
        param, idx = params.split_path(path)
        mask = chosen.setdefault(param.path, np.zeros(param.shape, dtype=bool))
        mask[idx] = True
    labels, positions = [], {}
    for path in params.varying(sample_ranges=spec.sample_ranges, uncertain=spec.uncertain):
        p = params[path]
        mask = np.zeros(p.shape, dtype=bool)
        if spec.sample_ranges and p.sampled:
            mask |= p.high > p.low
            if p.pinned is not None:
                mask &= ~p.pinned
        mask |= chosen.get(path, False)
        flat = np.flatnonzero(mask.reshape(-1))
        if flat.size == 0:
            continue
        positions[path] = flat
        for k in flat:
            index = np.unravel_index(k, p.shape) if p.shape else ()
            labels.append(".".join([path, *(DIMENSIONS[d][i] for d, i in zip(p.dims, index, strict=True))]))
    return labels, positions


def parameter_draws(spec: RunSpec, ids: Sequence[int], seed: int) -> xr.DataArray | None:
    """Each member's values of the parameters that vary between members, ``(member, parameter)``.

    Labels are dotted paths with the element's labels (``alignment.hedging.Tajikistan``); a
    member's values are those the model used (they come from the member's own stream, so any
    member can be recomputed alone). None when nothing varies (``sample_ranges`` off and no
    ``uncertain`` parameters).
    """
    labels, positions = draw_labels(spec)
    if not labels:
        return None
    arrays = spec.params.resolve(
        list(ids), seed, sample_ranges=spec.sample_ranges, uncertain=spec.uncertain, design=spec.design
    )
    n = len(ids)
    columns = [
        np.broadcast_to(arrays.arrays[path], (n, *spec.params[path].shape)).reshape(n, -1)[:, flat]
        for path, flat in positions.items()
    ]
    return xr.DataArray(
        np.concatenate(columns, axis=1).astype(np.float64),
        dims=("member", "parameter"),
        coords={"member": np.asarray(ids), "parameter": labels},
        name=DRAWS,
        attrs={
            "long_name": "parameter values drawn for each member",
            "description": "values of the parameters that vary between members (drawn from their ranges or "
            "from the scenario's uncertain distributions), as the paired baseline used them; the scenario "
            "uses the same draws except where its parameters: pin a value",
            "units": "see casim params",
        },
    )


def simulate(
    spec: SpecLike = None,
    members: int | Sequence[int] | None = None,
    seed: int | None = None,
    *,
    outputs: Sequence[str] | None = None,
    chunk_size: int | None = None,
    executor: str = "auto",
    workers: int | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
) -> xr.Dataset:
    """Simulate an ensemble and return it as a labelled dataset.

    Args:
        spec: A :class:`~casim.spec.RunSpec`, a :class:`~casim.scenario.Scenario`, a path to
            a scenario YAML file, or None for the baseline.
        members: Count N (members 0..N-1) or a sequence of member indices; member k always
            draws from stream k spawned from ``seed``. Default: the scenario's ``members``
            (100 for the baseline or a RunSpec).
        seed: The one seed of the run. Default: the scenario's ``seed`` (0 for the baseline
            or a RunSpec).
        outputs: Outputs to record (default all; see :data:`casim.outputs.OUTPUTS`).
        chunk_size: Members per chunk (does not change results).
        executor: ``auto``, ``serial``, ``processes`` or ``dask`` (does not change results).
        workers: Worker processes for ``processes`` (or a LocalCluster's, for ``dask``).
        progress: Callback ``(members done, members total)``.
        scheduler: Address of a Dask scheduler (``tcp://host:8786``) for ``dask``; default a
            LocalCluster on this machine.

    Returns:
        Dataset with dims ``member``, ``quarter``, ``state``, ``power``, ``pole``,
        ``channel``, ``segment``; every variable has ``units`` and ``description``.
    """
    run, default_members, default_seed = _resolve(spec)
    members = default_members if members is None else members
    seed = default_seed if seed is None else seed
    ids, data = run_members(
        run,
        members,
        seed,
        outputs=outputs,
        chunk_size=chunk_size,
        executor=executor,
        workers=workers,
        progress=progress,
        scheduler=scheduler,
    )
    ds = to_dataset(run, ids, data, seed)
    draws = parameter_draws(run, ids, seed)
    if draws is not None:
        ds[DRAWS] = draws
    return ds
