"""Streaming an ensemble to disk, chunk by chunk.

Large ensembles do not fit in memory: 10,000 members of both cases hold about 3 GB of
outputs. :class:`EnsembleFile` creates a netCDF-4 file with a ``case`` dimension and the
full member axis up front, and :meth:`EnsembleFile.write` fills the slice of each chunk of
members as it completes. The file reads back with ``xarray.open_dataset`` exactly like a
dataset saved in one go (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5netcdf
import h5py
import numpy as np

from casim.names import DIMENSIONS
from casim.outputs import OUTPUTS
from casim.resources import ensure_space, output_bytes
from casim.spec import RunSpec

#: Ensembles larger than this (bytes of outputs) are stored without compression: zlib writes
#: at about 60 MB/s here, uncompressed at about 700 MB/s (docs/performance.md).
COMPRESS_BELOW = 400_000_000
STRING = h5py.string_dtype()


class EnsembleFile:
    """A netCDF-4 file holding ``(case, member, quarter, ...)`` outputs, written chunk by chunk.

    Args:
        path: File to create (must not exist).
        specs: The run of each case, in order (e.g. baseline, scenario); they share horizon and start.
        members: Global member indices, in file order.
        seed: The run's seed.
        outputs: Outputs to store.
        compress: zlib-compress (default: only small ensembles, see :data:`COMPRESS_BELOW`).
    """

    def __init__(
        self,
        path: str | Path,
        specs: dict[str, RunSpec],
        members: Sequence[int],
        seed: int,
        outputs: Sequence[str],
        compress: bool | None = None,
    ):
        from casim.api import COORD_ATTRS, TIME_ATTRS, dataset_attrs, quarter_days

        self.path = Path(path)
        self.seed = int(seed)
        first = next(iter(specs.values()))
        self.horizon = first.horizon
        self.cases = list(specs)
        n = len(members)
        if compress is None:
            compress = output_bytes(n, self.horizon, outputs, len(specs)) < COMPRESS_BELOW
        self.file = h5netcdf.File(self.path, "w")
        f = self.file
        dims = {"case": len(specs), "member": n, "quarter": self.horizon + 1}
        dims.update({d: len(v) for d, v in DIMENSIONS.items() if d not in ("partner", "audience")})
        f.dimensions = dims
        f.create_variable("case", ("case",), dtype=STRING, data=np.array(self.cases, dtype=object))
        member = f.create_variable("member", ("member",), data=np.asarray(members, dtype=np.int64))
        quarter = f.create_variable("quarter", ("quarter",), data=np.arange(self.horizon + 1, dtype=np.int64))
        label = f.create_variable(
            "label", ("quarter",), dtype=STRING, data=np.array(first.quarter_labels(), dtype=object)
        )
        year = f.create_variable(
            "year", ("quarter",), data=np.array([(first.start + t).decimal_year for t in range(self.horizon + 1)])
        )
        days, units = quarter_days(first)
        time = f.create_variable("time", ("quarter",), data=days)
        time.attrs.update({**TIME_ATTRS, "units": units, "calendar": "proleptic_gregorian"})
        for var, name in ((member, "member"), (quarter, "quarter"), (label, "label"), (year, "year")):
            var.attrs.update(COORD_ATTRS[name])
        for dim, labels in DIMENSIONS.items():
            if dim in dims and dim not in ("case", "member", "quarter"):
                f.create_variable(dim, (dim,), dtype=STRING, data=np.array(labels, dtype=object))
        self.variables = {}
        for name in outputs:
            out = OUTPUTS[name]
            shape = tuple(dims[d] for d in out.dims)
            # One state per chunk: summaries read one state of one variable at a time.
            inner = tuple(1 if d == "state" else size for d, size in zip(out.dims, shape, strict=True))
            chunks = (1, min(n, 256), self.horizon + 1, *inner)
            kwargs = {"compression": "gzip", "compression_opts": 1, "shuffle": True} if compress else {}
            var = f.create_variable(
                name,
                ("case", "member", "quarter", *out.dims),
                dtype="f4",
                chunks=chunks,
                fillvalue=np.float32(np.nan),
                **kwargs,
            )
            var.attrs.update(out.attrs)
            var.attrs["coordinates"] = "label year time"
            self.variables[name] = var
        f.attrs.update(dataset_attrs(list(specs.values()), seed, n))

    def write_draws(self, spec: RunSpec, chunk: int = 5_000) -> None:
        """Store each member's parameter draws (``parameter_value(member, parameter)``), chunk by chunk."""
        from casim.api import DRAWS, draw_labels, parameter_draws

        labels, _ = draw_labels(spec)
        if not labels:
            return
        f = self.file
        f.dimensions["parameter"] = len(labels)
        f.create_variable("parameter", ("parameter",), dtype=STRING, data=np.array(labels, dtype=object))
        members = self.file.variables["member"][:]
        var = None
        for start in range(0, len(members), chunk):
            block = parameter_draws(spec, members[start : start + chunk].tolist(), self.seed)
            if var is None:
                var = f.create_variable(
                    DRAWS, ("member", "parameter"), dtype="f8", chunks=(min(len(members), 256), len(labels))
                )
                var.attrs.update({k: v for k, v in block.attrs.items()})
            var[start : start + block.shape[0]] = block.values

    def write(self, case: str, offset: int, data: dict[str, np.ndarray]) -> None:
        """Store the outputs of members ``offset .. offset + m`` of ``case``.

        Raises:
            RunFailed: if the disk has no room for them (checked first: HDF5 does not
                survive a full disk).
        """
        ensure_space(self.path, sum(arr.nbytes for arr in data.values()))
        k = self.cases.index(case)
        for name, arr in data.items():
            self.variables[name][k, offset : offset + arr.shape[0]] = arr

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> EnsembleFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
