"""How much memory and disk a run needs, estimated before it starts.

A run's footprint is dominated by its outputs: every member records every output every
quarter, ``4 bytes x members x (horizon + 1) x values per quarter`` per case (about 80 kB
per member and case over 40 quarters). On top come, per model in flight, the citizens and
the pre-drawn random numbers (about 0.3 MB per member plus 0.3 kB per member-quarter,
measured with ``tracemalloc``, docs/reliability.md), and about 150 MB per worker process.

:func:`plan_run` turns an estimate into a decision: keep the ensemble in memory, stream it
to disk chunk by chunk (:class:`casim.store.EnsembleFile`), or refuse with the figures
when even that would not fit. :func:`ensure_space` is checked before every streamed chunk,
so a disk that fills during a run (another program writing) ends the run cleanly instead
of in the HDF5 library.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from casim.errors import CasimError, RunFailed
from casim.names import DIMENSIONS
from casim.outputs import OUTPUTS

#: Working memory of one member in a model: citizens, state arrays, draws (bytes).
MEMBER_BYTES = 300_000
#: Extra working memory per member and quarter: the pre-drawn random numbers (bytes).
MEMBER_QUARTER_BYTES = 300
#: Memory of a worker process before it runs anything (bytes).
PROCESS_BYTES = 150_000_000
#: Copies of the outputs an in-memory run holds at its peak (the arrays, the stacked
#: dataset with its case dimension, the summaries).
IN_MEMORY_COPIES = 2.2
#: Share of the available memory a run may plan to use.
MEMORY_SHARE = 0.7
#: Runs writing more than this (bytes) say how much before they start.
LARGE_RUN = 200_000_000
#: Headroom kept free on disk besides the ensemble (figures, tables, file metadata).
DISK_MARGIN = 20_000_000


def output_bytes(members: int, horizon: int, outputs: list[str] | tuple[str, ...] | None = None, cases: int = 2) -> int:
    """Bytes the selected outputs of an ensemble take (float32, all cases)."""
    names = list(outputs) if outputs is not None else list(OUTPUTS)
    per = sum(int(np.prod([len(DIMENSIONS[d]) for d in OUTPUTS[o].dims], dtype=int)) for o in names)
    return cases * members * (horizon + 1) * per * 4


def working_bytes(chunk: int, horizon: int, processes: int = 1) -> int:
    """Memory of the models in flight: ``processes`` models of ``chunk`` members each."""
    per_model = chunk * (MEMBER_BYTES + MEMBER_QUARTER_BYTES * horizon)
    return processes * (per_model + (PROCESS_BYTES if processes > 1 else 0))


def free_memory() -> int:
    """Memory available to a new run (bytes): ``MemAvailable`` on Linux, else free pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no way to know
        return 1 << 62


def free_disk(path: str | Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return shutil.disk_usage(Path.cwd()).free  # pragma: no cover


def gigabytes(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


@dataclass(frozen=True)
class Plan:
    """What a run will use and how it keeps its results.

    Attributes:
        members: Ensemble members.
        horizon: Quarters.
        cases: Runs per member (a scenario and its baseline: 2).
        outputs: Bytes of all outputs.
        memory: Peak memory planned (bytes).
        disk: Bytes written (at most; compression makes small files smaller).
        stream: Whether the ensemble streams to disk chunk by chunk.
    """

    members: int
    horizon: int
    cases: int
    outputs: int
    memory: int
    disk: int
    stream: bool
    keep: bool = True

    def describe(self) -> str:
        how = "streamed to disk" if self.stream else "in memory"
        kept = "" if self.keep or not self.disk else " while it runs, removed at the end"
        return (
            f"{self.members:,} members x {self.horizon + 1} quarters x {self.cases} cases: about "
            f"{gigabytes(self.memory)} of memory and {gigabytes(self.disk)} on disk{kept} ({how})"
        )


def plan_run(
    members: int,
    horizon: int,
    *,
    cases: int = 2,
    folder: str | Path | None = None,
    stream_above: int,
    chunk: int = 200,
    processes: int = 1,
    outputs: list[str] | tuple[str, ...] | None = None,
    option: str = "--members",
    keep_ensemble: bool = True,
) -> Plan:
    """Decide how a run keeps its results, or refuse it before it starts.

    Args:
        members, horizon, cases: The run's size.
        folder: Where results are written (None: nothing is written, memory only).
        stream_above: Outputs above this many bytes always stream to disk.
        chunk: Members per model.
        processes: Worker processes.
        outputs: Outputs recorded (default all).
        option: The command-line option to name in a refusal.
        keep_ensemble: Whether the ensemble file stays in the folder (``casim run --keep``);
            without it only a streamed run needs the disk, and only while it runs.

    Raises:
        CasimError: if the run fits neither in the available memory nor on the free disk.
    """
    total = output_bytes(members, horizon, outputs, cases=cases)
    work = working_bytes(min(chunk, members), horizon, processes)
    in_memory = int(IN_MEMORY_COPIES * total) + work
    available = free_memory()
    stream = folder is not None and (total > stream_above or in_memory > MEMORY_SHARE * available)
    # streamed: the chunks in flight (each held, then written) and the alignment read back for the tables
    streamed = (
        work
        + 2 * max(processes, 1) * output_bytes(min(members, chunk), horizon, outputs, cases=1)
        + output_bytes(members, horizon, ["alignment"], cases=cases)
    )
    memory = streamed if stream else in_memory
    disk = total + DISK_MARGIN if folder is not None and (keep_ensemble or stream) else 0
    plan = Plan(members, horizon, cases, total, memory, disk, stream, keep_ensemble)
    if memory > MEMORY_SHARE * available:
        raise CasimError(
            "",
            0,
            0,
            option,
            f"this run needs {plan.describe()}, but only {gigabytes(available)} of memory is available; "
            "use fewer members or a shorter horizon",
        )
    if folder is not None:
        free = free_disk(folder)
        if disk > free:
            raise CasimError(
                str(folder),
                0,
                0,
                "",
                f"this run needs {plan.describe()}, but only {gigabytes(free)} is free there; "
                "use fewer members, a shorter horizon or another folder (--out)",
            )
    return plan


def ensure_space(path: str | Path, needed: int) -> None:
    """Raise :class:`RunFailed` unless ``needed`` bytes (plus a margin) are free where ``path`` lies.

    Checked before every chunk written to a streamed ensemble: the HDF5 library does not
    survive a full disk (it crashes when the file is closed).
    """
    free = free_disk(path)
    if free < needed + DISK_MARGIN // 4:
        raise RunFailed(
            f"the disk holding {path} is nearly full ({gigabytes(free)} free, the next part needs "
            f"{gigabytes(needed)}); the run stopped and nothing was kept"
        )
