"""A compiled kernel (Numba) for the citizens' quarterly update; NumPy stays the reference.

:meth:`casim.citizens.Citizens.update` computes, for every member, state, power and
citizen::

    f <- clip(f (1 - eta - omega) + ((eta x drive(type) + eta f0) + omega / 2h x sum of 2h ring neighbours), 0, 1)

and then the sum of favourability over each citizen type (a contiguous run of the row).
The NumPy path does this in blocks of members with a dozen whole-array passes; this kernel
does one row (500 citizens) at a time while it sits in the CPU's fastest cache, and sums
the type runs as it goes. It performs the same float32 operations in the same order as the
NumPy path, including NumPy's pairwise summation in ``np.add.reduceat``, so the results
are identical bit for bit (tested), and it is about twice as fast (docs/performance.md).

Numba is optional (``pip install 'casim[analysis]'``). The kernel is compiled on first use
(about 2 s; cached on disk with ``cache=True``, so once per machine and casim version) and
used for models of at least :data:`KERNEL_FROM` members, where the compilation pays for
itself; ``CASIM_KERNEL=numpy`` or ``=numba`` forces a path.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

#: Members per model from which the compiled kernel is used (when Numba is installed).
KERNEL_FROM = 400
ENV = "CASIM_KERNEL"
_compiled: dict[str, Any] = {}


def available() -> bool:
    """Whether Numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def wanted(members: int) -> bool:
    """Whether a model of ``members`` members should use the compiled kernel."""
    choice = os.environ.get(ENV, "auto").strip().lower()
    if choice == "numpy":
        return False
    if choice == "numba":
        return available()
    return members >= KERNEL_FROM and available()


def _build() -> dict[str, Any]:
    if _compiled:
        return _compiled
    from numba import njit

    # error_model="numpy": no Python exceptions for float division; boundscheck off; no
    # fastmath: IEEE semantics and operation order are kept, so results match NumPy exactly.
    jit = njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)

    @jit
    def pairwise(a, lo, n):  # pragma: no cover - compiled
        # NumPy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src), float32 accumulators
        if n < 8:
            res = np.float32(0.0)
            for i in range(n):
                res += a[lo + i]
            return res
        if n <= 128:
            r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
            r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
            i = 8
            while i < n - (n % 8):
                r0 += a[lo + i]
                r1 += a[lo + i + 1]
                r2 += a[lo + i + 2]
                r3 += a[lo + i + 3]
                r4 += a[lo + i + 4]
                r5 += a[lo + i + 5]
                r6 += a[lo + i + 6]
                r7 += a[lo + i + 7]
                i += 8
            res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < n:
                res += a[lo + i]
                i += 1
            return res
        n2 = n // 2
        n2 -= n2 % 8
        return pairwise(a, lo, n2) + pairwise(a, lo + n2, n - n2)

    @jit
    def update(
        f, eta_f0, types, kind, starts, counts, eta, omega, rows_per_member, per_kind, h, by_type
    ):  # pragma: no cover
        rows, size = f.shape
        one, zero = np.float32(1.0), np.float32(0.0)
        two_h = np.float32(2 * h)
        ring = np.empty(size + 2 * h, np.float32)
        peer = np.empty(size, np.float32)
        drive = np.empty(size, np.float32)
        for r in range(rows):
            m = r // rows_per_member
            e = eta[m] if eta.shape[0] > 1 else eta[0]
            o = omega[m] if omega.shape[0] > 1 else omega[0]
            q = o / two_h
            keep = (one - e) - o
            fr = f[r]
            er = eta_f0[r]
            # omega / 2h x favourability, with the ring's ends wrapped around
            middle = ring[h : h + size]
            for j in range(size):
                middle[j] = fr[j] * q
            for j in range(h):
                ring[j] = ring[size + j]
                ring[size + h + j] = ring[h + j]
            # neighbours at distance h first, then the nearer ones (the NumPy path's order)
            left, right = ring[0:size], ring[2 * h : 2 * h + size]
            for j in range(size):
                peer[j] = left[j] + right[j]
            for d in range(1, h):
                near_left, near_right = ring[h - d : h - d + size], ring[h + d : h + d + size]
                for j in range(size):
                    peer[j] += near_left[j]
                for j in range(size):
                    peer[j] += near_right[j]
            row_kind = kind[r // per_kind]
            row_types = types[r]
            for j in range(size):
                drive[j] = row_types[row_kind[j]]
            for j in range(size):
                value = fr[j] * keep + ((drive[j] + er[j]) + peer[j])
                fr[j] = min(max(value, zero), one)
            # sums over each type's run, as np.add.reduceat sums them
            k = r // per_kind
            for t in range(starts.shape[1]):
                n = counts[k, t]
                if n == 0:
                    by_type[r, t] = zero
                else:
                    lo = starts[k, t]
                    by_type[r, t] = fr[lo] + pairwise(fr, lo + 1, n - 1)

    _compiled["update"] = update
    return _compiled


def update_rows(
    f: np.ndarray,
    eta_f0: np.ndarray,
    types: np.ndarray,
    kind: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    eta: np.ndarray,
    omega: np.ndarray,
    rows_per_member: int,
    per_kind: int,
    half: int,
    by_type: np.ndarray,
) -> None:
    """Update every row of ``f`` in place and write each row's sums per type into ``by_type``.

    Args:
        f: ``(rows, C)`` favourability, rows ordered member, state, power (float32, C-contiguous).
        eta_f0: ``(rows, C)`` adaptation times predisposition.
        types: ``(rows, types)`` adaptation times each type's drive.
        kind: ``(member x state, C)`` each citizen's type.
        starts, counts: ``(member x state, types)`` where each type's run starts, and its length.
        eta, omega: ``(members,)`` or ``(1,)`` adaptation and peer weight.
        rows_per_member: States x powers.
        per_kind: Powers (rows sharing one row of ``kind``).
        half: Neighbours on each side in the ring.
        by_type: ``(rows, types)`` output.
    """
    _build()["update"](f, eta_f0, types, kind, starts, counts, eta, omega, rows_per_member, per_kind, half, by_type)
