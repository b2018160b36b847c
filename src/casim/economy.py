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


def advance_russia(world: World, params: ParamArrays, shock: np.ndarray, fx_shock: np.ndarray) -> None:
    """Russia's output gap and the ruble's real dollar value, two AR(1) processes with correlated shocks.

    ``g <- rho_g g + sigma_g z1``
    ``r <- rho_r r + sigma_r (c z1 + sqrt(1 - c^2) z2)``

    ``r`` is the log of the ruble's real value in dollars relative to the start; ``c`` the
    correlation of its shocks with those of the output gap (oil prices move both).
    """
    rho = params["economy.russia_persistence"].reshape(-1)
    sigma = params["economy.russia_volatility"].reshape(-1)
    world.russia_gap = (rho * world.russia_gap + sigma * shock).astype(DTYPE)
    rho_r = params["economy.ruble_persistence"].reshape(-1)
    sigma_r = params["economy.ruble_volatility"].reshape(-1)
    corr = params["economy.ruble_gap_correlation"].reshape(-1)
    mixed = corr * shock + np.sqrt(np.maximum(1.0 - corr * corr, 0.0)) * fx_shock
    world.ruble = (rho_r * world.ruble + sigma_r * mixed).astype(DTYPE)


def remittance_factor(params: ParamArrays, gap: np.ndarray, ruble: np.ndarray) -> np.ndarray:
    """Dollar value of remittances from Russia relative to the start: ``exp(eps_Y g) R^eps_FX``.

    ``g`` is Russia's output gap (IMF elasticity about 1.5) and ``R`` the ruble's real value in
    dollars (an index, 1 at the start; short-run elasticity near 1): migrants earn rubles,
    their families spend dollars' worth.
    """
    eps_y = params["economy.remittance_elasticity"].reshape(-1)
    eps_fx = params["economy.remittance_fx_elasticity"].reshape(-1)
    return (np.exp(eps_y * gap) * np.power(np.maximum(ruble, 1e-6), eps_fx)).astype(DTYPE)


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


def harm_weight(params: ParamArrays, harm: np.ndarray) -> np.ndarray:
    """Coercive harm in benefit units, ``(n, i, p, c)``: ``beta_c h`` (``h`` the flow each power's
    coercion cuts, :attr:`casim.world.World.harm`). Weighting by the channel's benefit weight puts
    the loss of a pipeline and of a market on one scale."""
    return (params["flows.benefit_weight"][:, None, None, :] * harm).astype(DTYPE)


def advance_threat(world: World, params: ParamArrays, harm: np.ndarray) -> None:
    """``T <- clip(T + kappa_T (T0 + sum_c tau_c h_ipc - T))``: threat follows the harm a power's
    coercion does while it lasts, and fades back to its resting level after (``h`` from
    :func:`harm_weight`)."""
    tau = params["weaponisation.threat"][:, None, None, :]
    target = params["threat.initial"] + axis_sum(harm * tau, 3)
    decay = as_members(params["threat.decay"], 3)
    world.threat = np.clip(world.threat + decay * (target - world.threat), 0, 1).astype(DTYPE)


def advance_credibility(world: World, params: ParamArrays, harm: np.ndarray, quarter: int) -> np.ndarray:
    """Credibility each state grants each power, ``R[i,p] = R0_p + trend_p t - D[i,p]``.

    Coercion is blamed on its author for every quarter it lasts, in proportion to the harm it
    does, mostly by its target:

    ``D[i,p] <- (D + sum_c cost_c (h_ipc + spill sum_(j != i) h_jpc)) (1 - recovery)``

    Returns the credibility stock ``(n, i, p)`` before scenario changes.
    """
    cost = params["weaponisation.credibility_cost"][:, None, None, :]
    own = axis_sum(harm * cost, 3)  # (n, i, p)
    spill = as_members(params["weaponisation.credibility_spillover"], 3)
    others = axis_sum(own, 1, keepdims=True) - own
    recovery = as_members(params["powers.credibility_recovery"], 3)
    world.credibility_damage = ((world.credibility_damage + own + spill * others) * (1.0 - recovery)).astype(DTYPE)
    level = params["powers.credibility"] + params["powers.credibility_trend"] * quarter
    return np.clip(level[:, None, :] - world.credibility_damage, 0.0, 1.0).astype(DTYPE)


def capability(params: ParamArrays, quarter: int) -> np.ndarray:
    """Capability ``C = C0 + trend t`` (before scenario changes)."""
    return np.clip(params["powers.capability"] + params["powers.capability_trend"] * quarter, 0.0, 1.0)


def water_availability(params: ParamArrays, quarter: int) -> np.ndarray:
    """Water availability ``W = 1 + trend t`` (1 = normal), before scenario changes."""
    return (1.0 + params["water.trend"] * quarter).astype(DTYPE)


def water_stress(params: ParamArrays, availability: np.ndarray, easing: np.ndarray) -> np.ndarray:
    """Damaging water stress: the shortfall ``max(0, 1 - W)``, eased by water governance.

    ``stress = max(0, 1 - W) (1 - e x)`` where ``x`` (``easing``, ``(n, i)``) is the better of the
    state's technical water governance and its water cooperation with states across the
    upstream-downstream divide (:func:`cross_river`). GDP and stability feel this stress.
    """
    relief = 1.0 - as_members(params["water.governance_effect"], 2) * easing
    return (np.maximum(1.0 - availability, 0.0) * relief).astype(DTYPE)


def cross_river(params: ParamArrays, pairs: np.ndarray) -> np.ndarray:
    """Mean of a pair table ``(n, i, j)`` over each state's partners across the upstream-downstream
    divide, ``(n, i)`` (002 country table: Kyrgyzstan and Tajikistan upstream)."""
    mixed = _mixed(params["country.upstream"])
    return axis_sum(pairs * mixed, 2) / np.maximum(axis_sum(mixed, 2), 1.0)


def _mixed(upstream: np.ndarray) -> np.ndarray:
    """``u[i,j]`` = 1 for a pair of one upstream and one downstream state, ``(n|1, i, j)``."""
    up = upstream[:, :, None]
    return np.abs(up - np.swapaxes(up, 1, 2)).astype(DTYPE)


def water_relief(params: ParamArrays, shortfall: np.ndarray) -> np.ndarray:
    """GDP damage ``(n, i)`` that one unit of technical water governance avoids: ``w_i e max(0, 1 - W)``.

    Used to credit technical water cooperation to its authors as help (a flow-equivalent).
    """
    return (params["water.gdp_sensitivity"] * as_members(params["water.governance_effect"], 2) * shortfall).astype(
        DTYPE
    )


def advance_cooperation(world: World, params: ParamArrays) -> None:
    """Regional cooperation grows toward its ceiling: ``C_ij <- C_ij + g (ceiling - C_ij)``.

    Water is kept off this agenda (002 Regional cooperation); its own track is
    :func:`advance_water_cooperation`.
    """
    change = as_members(params["cooperation.growth"], 3) * (
        as_members(params["cooperation.ceiling"], 3) - world.cooperation
    )
    coop = np.clip(world.cooperation + change, 0.0, 1.0)
    n_states = coop.shape[1]
    coop[:, np.arange(n_states), np.arange(n_states)] = 0.0
    world.cooperation = coop.astype(DTYPE)


def advance_water_cooperation(world: World, params: ParamArrays, shortfall: np.ndarray, governance: np.ndarray) -> None:
    """Cooperation on shared rivers between upstream and downstream states (``WC[i,j]``).

    ``WC <- clip(WC + r (WC0 - WC) - tension u_ij mean(short_i, short_j) + s max(gov_i, gov_j) (1 - WC))``

    Shortfalls breed mistrust between the two sides (002 Environmental engagement: the broken
    water-energy exchange, securitised water, bilateral bargaining); technical governance
    (monitoring, basin councils) rebuilds it, and mistrust fades slowly.
    """
    mixed = _mixed(params["country.upstream"])
    stress = 0.5 * (shortfall[:, :, None] + shortfall[:, None, :])
    gov = np.maximum(governance[:, :, None], governance[:, None, :])
    wc = world.water_cooperation
    change = (
        as_members(params["water.cooperation_recovery"], 3) * (world.water_cooperation0 - wc)
        - as_members(params["water.cooperation_tension"], 3) * mixed * stress
        + as_members(params["water.governance_support"], 3) * gov * (1.0 - wc)
    )
    out = np.clip(wc + change, 0.0, 1.0)
    n_states = out.shape[1]
    out[:, np.arange(n_states), np.arange(n_states)] = 0.0
    world.water_cooperation = out.astype(DTYPE)


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
