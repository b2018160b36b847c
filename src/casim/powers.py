"""Decision rules of the external powers (E5), vectorised over members, states and powers.

* **Invest.** Extra effort where a power is losing ground:
  ``e[i,p,c] = 1 + r_p a_pc max(0, A0_ip - A_ip) / A0_ip``
  (reinvestment ``r_p``, allocation over channels ``a_pc``).
* **Weaponise.** A power considers coercion against a state once the state's alignment
  toward it has fallen by more than its trigger ``Delta_p`` below its smoothed recent level
  ``M`` (``M <- M + (A - M) / memory``; a grim trigger on defection after Cederman: sharp
  turns provoke, slow drift does not), if it is not already coercing it and its cooldown
  has passed. For each
  channel it may weaponise, the net gain is
  ``kappa_p care_pi L_ipc - cost_c beta_c s_c P_ipc (1 + spill (N - 1)) R_ip``
  (coercion propensity times how much it cares times the leverage it holds, minus the
  credibility it would lose: its cost per unit of harm times the harm, ``beta_c s_c P``, felt
  by the target and, through the spill-over, by the other ``N - 1`` states). It picks the best channel and acts with probability
  ``1 - exp(-h gain)``. While weaponised, the channel loses a share ``severity_c`` of its
  flow for ``duration_c`` quarters.
* **Guarantee.** When a regime's stability falls below the crisis threshold and no
  guarantee is active, the most willing power, ``propensity_p care_pi``, guarantees it
  with that probability; the guarantee supports stability and deepens security ties.

Random choices use uniforms drawn up front from each member's stream.
"""

from __future__ import annotations

import numpy as np

from casim.channels import as_members
from casim.parameters import ParamArrays
from casim.world import DTYPE, N_POWERS, World


def effort(world: World, params: ParamArrays) -> np.ndarray:
    """Investment effort ``(n, i, p, c)`` relative to the baseline (1 = baseline)."""
    a0 = world.alignment0[..., :N_POWERS]
    loss = np.maximum(a0 - world.alignment[..., :N_POWERS], 0.0) / np.maximum(a0, 1e-6)
    extra = as_members(params["powers.reinvestment"], 2)[:, None, :] * loss  # (n, i, p)
    return (1.0 + extra[..., None] * params["powers.allocation"][:, None, :, :]).astype(DTYPE)


def decide_weaponisation(
    world: World,
    params: ParamArrays,
    coercion: np.ndarray,
    care: np.ndarray,
    credibility: np.ndarray,
    uniforms: np.ndarray,
) -> None:
    """Start endogenous weaponisations (sets ``world.weapon_timer`` and ``world.cooldown``).

    Args:
        coercion: ``(n, p)`` effective coercion propensity.
        care: ``(n, i, p)`` how much each power cares about each state.
        credibility: ``(n, i, p)`` credibility each state grants each power.
        uniforms: ``(n, i, p)`` this quarter's draws.
    """
    recent = world.alignment_memory[..., :N_POWERS]
    dropped = (recent - world.alignment[..., :N_POWERS]) > params["weaponisation.trigger"][:, None, :]
    idle = (world.cooldown == 0) & (world.weapon_timer.max(axis=3) == 0)
    allowed = params["weaponisation.allowed"][:, None, :, :]
    harm = (
        params["flows.benefit_weight"][:, None, None, :]
        * params["weaponisation.severity"][:, None, None, :]
        * world.potential
    )
    spill = 1.0 + as_members(params["weaponisation.credibility_spillover"], 4) * (world.alignment.shape[1] - 1)
    cost = params["weaponisation.credibility_cost"][:, None, None, :] * harm * spill * credibility[..., None]
    gain = coercion[:, None, :, None] * care[..., None] * world.leverage - cost
    gain = np.where(allowed > 0, gain, -np.inf)
    best = gain.argmax(axis=3)  # (n, i, p)
    best_gain = np.take_along_axis(gain, best[..., None], axis=3)[..., 0]
    hazard = as_members(params["weaponisation.hazard"], 3)
    prob = np.where(dropped & idle & (best_gain > 0), 1.0 - np.exp(-hazard * np.maximum(best_gain, 0.0)), 0.0)
    fire = uniforms < prob
    if not fire.any():
        return
    duration = np.broadcast_to(
        params["weaponisation.duration"], (fire.shape[0], params["weaponisation.duration"].shape[-1])
    )
    length = np.take_along_axis(duration[:, None, None, :], best[..., None], axis=3)[..., 0].astype(np.int16)
    n_idx, i_idx, p_idx = np.nonzero(fire)
    world.weapon_timer[n_idx, i_idx, p_idx, best[fire]] = length[fire]
    cooldown = int(params.scalar("weaponisation.cooldown"))
    world.cooldown[fire] = length[fire] + cooldown


def decide_guarantee(
    world: World,
    params: ParamArrays,
    propensity: np.ndarray,
    care: np.ndarray,
    uniforms: np.ndarray,
) -> None:
    """Start regime guarantees for states in crisis (sets ``world.guarantee_timer``).

    A guarantee is an act, not a promise, so it depends on the power's propensity and how
    much it cares about the state, not on its credibility.

    Args:
        propensity: ``(n, p)`` effective willingness to guarantee.
        care: ``(n, i, p)``.
        uniforms: ``(n, i)`` this quarter's draws.
    """
    threshold = as_members(params["regime.crisis_threshold"], 2)
    crisis = (world.stability < threshold) & (world.guarantee_timer.max(axis=2) == 0)
    if not crisis.any():
        return
    willing = propensity[:, None, :] * care  # (n, i, p)
    best = willing.argmax(axis=2)
    prob = np.clip(np.take_along_axis(willing, best[..., None], axis=2)[..., 0], 0.0, 1.0)
    fire = crisis & (uniforms < prob)
    n_idx, i_idx = np.nonzero(fire)
    world.guarantee_timer[n_idx, i_idx, best[fire]] = int(params.scalar("powers.guarantee_duration"))


def remember(world: World, params: ParamArrays) -> None:
    """Update the smoothed alignment the coercion trigger compares with."""
    memory = as_members(params["weaponisation.memory"], 3)
    world.alignment_memory = (world.alignment_memory + (world.alignment - world.alignment_memory) / memory).astype(
        DTYPE
    )


def tick(world: World) -> None:
    """Count down weaponisation, cooldown and guarantee timers at the end of a quarter."""
    for timer in (world.weapon_timer, world.cooldown, world.guarantee_timer):
        np.subtract(timer, 1, out=timer, where=timer > 0)
