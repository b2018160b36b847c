"""Per-member random streams.

One seed enters a run. Member ``k`` owns stream ``k`` spawned from it,
``SeedSequence(seed).spawn(...)[k]``, which equals ``SeedSequence(seed, spawn_key=(k,))``
and can therefore be built for any member without spawning the others. Each use of
randomness has its own child of the member's stream (a *purpose*), so adding draws for
one purpose never shifts the numbers of another.

All random numbers a member needs are drawn up front, as a function of
``(seed, member, purpose)`` only, and never of the model's state. Hence:

* member ``k`` of any ensemble equals a lone run of member ``k``, whatever the batching;
* a scenario and its baseline see the same numbers (common random numbers);
* the numbers for quarter ``t`` do not depend on the horizon (one row per quarter, filled
  in order).

The global ``numpy.random`` and ``random`` modules are never used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Children of a member's stream, one per purpose.
PURPOSES: dict[str, int] = {"init": 0, "normals": 1, "params": 2, "events": 3, "uniforms": 4}


#: Largest seed: results files store it as a 64-bit signed integer.
MAX_SEED = 2**63 - 1
#: Largest ensemble, for the CLI's ``--members`` and a scenario's ``members:`` alike.
MAX_MEMBERS = 100_000
#: Largest member index (far below the spawn keys other streams use, see casim.explain).
MAX_MEMBER_INDEX = 2**31 - 1


def check_seed(seed: int) -> int:
    """Return ``seed`` as a non-negative int no larger than :data:`MAX_SEED`, or raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    return int(seed)


def member_generator(seed: int, member: int, *purpose: int) -> np.random.Generator:
    """Generator for ``member`` (and optionally a purpose path below it)."""
    ss = np.random.SeedSequence(check_seed(seed), spawn_key=(int(member), *purpose))
    return np.random.Generator(np.random.PCG64(ss))


def _rows(
    seed: int,
    members: Sequence[int],
    purpose: tuple[int, ...],
    shape: tuple[int, ...],
    normal: bool = False,
    dtype: type = np.float64,
) -> np.ndarray:
    out = np.empty((len(members), *shape), dtype)
    for row, k in enumerate(members):
        gen = member_generator(seed, k, *purpose)
        out[row] = gen.standard_normal(shape, dtype=dtype) if normal else gen.random(shape, dtype=dtype)
    return out


def parameter_uniforms(seed: int, members: Sequence[int], label: str, size: int) -> np.ndarray:
    """Uniforms ``(n, size)`` for parameter sampling under ``label``.

    ``label`` is ``"ranges"`` for sampling every parameter from its range, or
    ``"uncertain:<crc32 of path>"`` for one uncertain parameter of a scenario.
    """
    if label == "ranges":
        sub: tuple[int, ...] = (0,)
    else:
        sub = (1, int(label.split(":", 1)[1]))
    return _rows(seed, members, (PURPOSES["params"], *sub), (size,))


def dynamics_draws(
    seed: int, members: Sequence[int], horizon: int, normals: int, uniforms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-quarter draws: normals ``(n, horizon, normals)`` and uniforms ``(n, horizon, uniforms)``.

    Each comes from its own stream and is filled row by row, so the draws of quarter ``t``
    are the same whatever the horizon.
    """
    z = _rows(seed, members, (PURPOSES["normals"],), (horizon, normals), normal=True, dtype=np.float32)
    u = _rows(seed, members, (PURPOSES["uniforms"],), (horizon, uniforms), dtype=np.float32)
    return z, u


def citizen_draws(
    seed: int, members: Sequence[int], states: int, size: int, segments: int, powers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Uniforms ``(n, states, segments, size)`` for segment flags and normals ``(n, states, powers, size)``
    for predispositions, from each member's init stream."""
    u = np.empty((len(members), states, segments, size), np.float32)
    z = np.empty((len(members), states, powers, size), np.float32)
    for row, k in enumerate(members):
        gen = member_generator(seed, k, PURPOSES["init"])
        u[row] = gen.random((states, segments, size), dtype=np.float32)
        z[row] = gen.standard_normal((states, powers, size), dtype=np.float32)
    return u, z


def event_uniforms(seed: int, members: Sequence[int], event: int, horizon: int) -> np.ndarray:
    """Uniforms ``(n, horizon)`` deciding whether random event number ``event`` fires each quarter."""
    return _rows(seed, members, (PURPOSES["events"], int(event)), (horizon,))
