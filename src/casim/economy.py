"""The economy and the slow stocks: GDP, Russia's output gap, regime stability, threat,
credibility, regional cooperation, technical standards and water.

Each function advances one stock by one quarter for every member at once; the equations
are given in the docstrings and in docs/model.md (section 7).
"""

from __future__ import annotations

import numpy as np

from casim.channels import EDUCATION, FDI, as_members, shares
from casim.parameters import ParamArrays
from casim.world import DTYPE, World, axis_sum


def advance_russia(world: World, params: ParamArrays, shock: np.ndarray) -> None:
    """Russia's output gap, an AR(1): ``g <- rho g + sigma z``."""
    rho = params["economy.russia_persistence"].reshape(-1)
    sigma = params["economy.russia_volatility"].reshape(-1)
    world.russia_gap = (rho * world.russia_gap + sigma * shock).astype(DTYPE)


def remittance_factor(params: ParamArrays, gap: np.ndarray) -> np.ndarray:
    """Remittances from Russia scale with its output gap: ``exp(epsilon_Y g)`` (IMF elasticity 1.5)."""
    return np.exp(params["economy.remittance_elasticity"].reshape(-1) * gap).astype(DTYPE)


def advance_gdp(
    world: World,
    params: ParamArrays,
    previous_total: np.ndarray,
    stress_change: np.ndarray,
    shock: np.ndarray,
) -> np.ndarray:
    """E7: ``ln Y <- ln Y + g_i + sum_c mu_c (T_ic - T_ic,prev) - w_i dStress + sigma_Y z``.

    Returns the quarter's growth ``d ln Y`` (used by regime stability).
    """
    mu = params["flows.gdp_multiplier"][:, None, :]
    from_flows = axis_sum(mu * (world.total - previous_total), 2)
    growth = (
        params["country.growth"]
        + from_flows
        - params["water.gdp_sensitivity"] * stress_change
        + as_members(params["economy.gdp_noise"], 2) * shock
    )
    world.log_gdp = (world.log_gdp + growth).astype(DTYPE)
    return growth


def advance_stability(
    world: World,
    params: ParamArrays,
    growth: np.ndarray,
    crisis: np.ndarray,
    guaranteed: np.ndarray,
    shock: np.ndarray,
) -> None:
    """``Q <- Q + kappa (Q0 - w stress - Q) + theta_Y (dlnY - g) + theta_G guaranteed - crisis + sigma z``."""
    rest = params["regime.initial"] - as_members(params["regime.water_sensitivity"], 2) * world.water_stress
    change = (
        as_members(params["regime.recovery"], 2) * (rest - world.stability)
        + as_members(params["regime.growth_sensitivity"], 2) * (growth - params["country.growth"])
        + as_members(params["regime.guarantee_support"], 2) * guaranteed
        - crisis
        + as_members(params["regime.noise"], 2) * shock
    )
    world.stability = np.clip(world.stability + change, 0.0, 1.0).astype(DTYPE)


def advance_threat(world: World, params: ParamArrays, onset: np.ndarray) -> None:
    """``T <- T + kappa_T (T0 - T) + sum_c tau_c onset_ipc`` (onset of coercion this quarter)."""
    tau = params["weaponisation.threat"][:, None, None, :]
    kick = axis_sum(onset * tau, 3)
    decay = as_members(params["threat.decay"], 3)
    world.threat = np.clip(world.threat + decay * (params["threat.initial"] - world.threat) + kick, 0, 1).astype(DTYPE)


def advance_credibility(world: World, params: ParamArrays, onset: np.ndarray, quarter: int) -> np.ndarray:
    """Credibility ``R = R0 + trend t - D``; the damage ``D`` from coercion fades at a fixed rate.

    Starting to weaponise channel ``c`` costs ``cost_c`` once per power and quarter, whatever
    the number of states targeted.

    Returns the credibility stock ``(n, p)`` before scenario changes.
    """
    # One act of coercion is one policy: it costs credibility once, however many states it targets.
    cost = axis_sum(onset.max(axis=1) * params["weaponisation.credibility_cost"][:, None, :], 2)
    recovery = as_members(params["powers.credibility_recovery"], 2)
    world.credibility_damage = ((world.credibility_damage + cost) * (1.0 - recovery)).astype(DTYPE)
    level = params["powers.credibility"] + params["powers.credibility_trend"] * quarter - world.credibility_damage
    return np.clip(level, 0.0, 1.0).astype(DTYPE)


def capability(params: ParamArrays, quarter: int) -> np.ndarray:
    """Capability ``C = C0 + trend t`` (before scenario changes)."""
    return np.clip(params["powers.capability"] + params["powers.capability_trend"] * quarter, 0.0, 1.0)


def water_availability(params: ParamArrays, quarter: int) -> np.ndarray:
    """Water availability ``W = 1 + trend t`` (1 = normal), before scenario changes."""
    return (1.0 + params["water.trend"] * quarter).astype(DTYPE)


def water_stress(params: ParamArrays, availability: np.ndarray, governance: np.ndarray) -> np.ndarray:
    """Damaging water stress: the shortfall ``max(0, 1 - W)``, eased by technical water governance.

    ``stress = max(0, 1 - W) (1 - e gov)``; cooperation feels the raw shortfall (its own relief
    term applies there), GDP and stability this eased stress.
    """
    relief = 1.0 - as_members(params["water.governance_effect"], 2) * governance
    return (np.maximum(1.0 - availability, 0.0) * relief).astype(DTYPE)


def advance_cooperation(
    world: World, params: ParamArrays, shortfall: np.ndarray, governance: np.ndarray, upstream: np.ndarray
) -> None:
    """``C_ij <- C_ij + g (ceiling - C_ij) - tension u_ij mean(short_i, short_j) (1 - e max(gov_i, gov_j))``.

    ``u_ij`` is 1 for a pair of one upstream and one downstream state; ``short`` is the water
    shortfall ``max(0, 1 - W)``.
    """
    up = upstream[:, :, None]
    mixed = np.abs(up - np.swapaxes(up, 1, 2))  # (n|1, i, j)
    stress = 0.5 * (shortfall[:, :, None] + shortfall[:, None, :])
    gov = np.maximum(governance[:, :, None], governance[:, None, :])
    relief = 1.0 - as_members(params["water.governance_effect"], 3) * gov
    change = (
        as_members(params["cooperation.growth"], 3) * (as_members(params["cooperation.ceiling"], 3) - world.cooperation)
        - as_members(params["cooperation.water_tension"], 3) * mixed * stress * relief
    )
    coop = np.clip(world.cooperation + change, 0.0, 1.0)
    n_states = coop.shape[1]
    coop[:, np.arange(n_states), np.arange(n_states)] = 0.0
    world.cooperation = coop.astype(DTYPE)


def advance_standards(world: World, params: ParamArrays) -> None:
    """``S_ip <- S_ip + kappa (w x_ip,education + (1 - w) x_ip,fdi - S_ip)``."""
    x = shares(world)
    w = as_members(params["standards.education_weight"], 3)
    target = w * x[..., EDUCATION] + (1.0 - w) * x[..., FDI]
    rate = as_members(params["standards.rate"], 3)
    world.standards = (world.standards + rate * (target - world.standards)).astype(DTYPE)


def regional_cooperation(cooperation: np.ndarray) -> np.ndarray:
    """Mean cooperation over the ten pairs of states, ``(n,)``.

    Sums with :func:`~casim.world.axis_sum` so each member's value does not depend on the
    batch size.
    """
    n_states = cooperation.shape[1]
    upper = np.triu(np.ones((n_states, n_states), DTYPE), k=1)
    pairs = n_states * (n_states - 1) // 2
    return axis_sum(cooperation * upper, (1, 2)) / DTYPE(pairs)
