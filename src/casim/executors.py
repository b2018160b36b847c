"""Where chunks of members run: this process, a pool of worker processes, or a Dask cluster.

Executors are swappable (as in EMA Workbench) because they cannot change results: a chunk
of members is computed by :func:`run_chunk` from the run, the members' indices and the
seed alone, and every member draws from its own stream. The same chunks therefore give the
same numbers bit for bit in this process, in worker processes or on any machine of a
Dask cluster (tested).

* ``processes``: a :class:`concurrent.futures.ProcessPoolExecutor` on this machine. Workers
  ignore Ctrl-C and SIGTERM (the parent decides), die with their parent on Linux, and are
  terminated on any failure.
* ``dask``: a ``dask.distributed`` cluster, given by its scheduler's address
  (``tcp://host:8786``), or a :class:`distributed.LocalCluster` of worker processes started
  for the run and closed after it. See docs/scaling.md for clusters of several machines.

Both keep at most two chunks per worker in flight and hand each finished chunk to
``store`` at once, so memory stays bounded however many members there are.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from casim.errors import CasimError
from casim.model import CentralAsiaModel
from casim.spec import RunSpec

EXECUTORS = ("auto", "serial", "processes", "dask")
#: Seconds to wait for a Dask scheduler before giving up.
SCHEDULER_TIMEOUT = 10
#: prctl option: the signal a process receives when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1

Work = Sequence[tuple[int, np.ndarray]]
Store = Callable[[int, dict[str, np.ndarray]], None]


def run_chunk(
    spec: RunSpec, ids: np.ndarray, seed: int, outputs: tuple[str, ...], kernel: bool | None = None
) -> dict[str, np.ndarray]:
    """The outputs of members ``ids`` (the unit of work every executor runs)."""
    model = CentralAsiaModel(spec.for_members(ids), ids, seed, outputs=outputs, kernel=kernel)
    data = model.run()
    release(model)
    return data


def release(model: CentralAsiaModel) -> None:
    """Free a model that has run (see :meth:`CentralAsiaModel.release`): its arrays go at once;
    the small rest, held in reference cycles, goes with Python's next collection."""
    model.release()


def _worker_init() -> None:
    """Set up a worker process: the parent alone handles Ctrl-C and SIGTERM, and stops the workers.

    On Linux a worker also receives SIGTERM if its parent dies (``PR_SET_PDEATHSIG``), so no
    worker outlives a ``casim`` process killed outright.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Terminate a pool's workers now (ProcessPoolExecutor has no public way before Python 3.14)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)


def in_processes(
    spec: RunSpec,
    work: Work,
    seed: int,
    names: tuple[str, ...],
    workers: int,
    store: Store,
    kernel: bool | None = None,
) -> None:
    """Run the chunks in a pool of ``workers`` processes on this machine."""
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pending = list(work)
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init)
    try:
        running: dict[cf.Future, int] = {}
        while pending or running:
            while pending and len(running) < 2 * workers:
                offset, chunk = pending.pop(0)
                running[pool.submit(run_chunk, spec.for_members(chunk), chunk, seed, names, kernel)] = offset
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                store(running.pop(future), future.result())
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[object]:
    """A client of the cluster at ``scheduler``, or of a LocalCluster of ``workers`` processes.

    Raises:
        CasimError: if dask.distributed is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CasimError(
            "--executor", 0, 0, "", "the dask executor needs dask.distributed: pip install 'casim[analysis]'"
        ) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except OSError as error:
            raise CasimError("--scheduler", 0, 0, "", f"cannot reach the Dask scheduler {scheduler}: {error}") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def on_dask(
    spec: RunSpec,
    work: Work,
    seed: int,
    names: tuple[str, ...],
    workers: int,
    store: Store,
    scheduler: str | None = None,
    kernel: bool | None = None,
) -> None:
    """Run the chunks on a Dask cluster (a LocalCluster of ``workers`` processes if no ``scheduler``)."""
    from distributed import as_completed

    with dask_client(scheduler, workers) as client:
        slots = max(2 * len(client.scheduler_info().get("workers", {})), 2)  # type: ignore[attr-defined]
        pending = list(work)
        offsets = {}

        def submit() -> object:
            offset, chunk = pending.pop(0)
            future = client.submit(  # type: ignore[attr-defined]
                run_chunk, spec.for_members(chunk), chunk, seed, names, kernel, pure=False
            )
            offsets[future.key] = offset
            return future

        running = as_completed([submit() for _ in range(min(slots, len(pending)))])
        for future in running:
            store(offsets.pop(future.key), future.result())
            future.release()
            if pending:
                running.add(submit())
