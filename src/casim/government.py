"""Governments' alignment choice (E2-E4): utilities, the hedging target, the update.

**Utility of power p to state i** (E2)::

    U_ip = sum_c beta_c (1 - w_c + w_c R_ip) (F + E)_ipc   benefits; promises (weight w_c) only as far as
                                                           p is credible to i; E adds back what others cut
                                                           and what the market cycle took (governments
                                                           look through the ruble and Russia's cycle)
         - sum_c beta_c B_ipc                              blame for flows p cut (help p gave counts negative)
         + beta_pi pi_ip                                   p's projected presence (contest share)
         + rho_ip sum_c (L_ipc + m K_ipc)                  leverage and withheld stake: bandwagon (rho > 0)
                                                           or balance (rho < 0)
         + beta_O resp_i O_ip                              public opinion, weighted by responsiveness
         + beta_G G_ip                                     memory of a regime guarantee
         - beta_C cond_p (1 - resp_i)                      cost of governance conditions to closed regimes
         - beta_T T_ip                                     threat

**Utility of autonomy** (its own value, not a residual)::

    U_i0 = beta_coop mean_j coop_ij                        regional cooperation
         + beta_ins sum_p T_ip o_ip sum_c (L_ipc + K_ipc)   insurance against every patron's coercion:
                                                           threat times the stake each patron holds,
                                                           as far as the state has options o_ip
                                                           (hedging fails without them, Korolev)
         + beta_div (1 - sum_p s_ip^2)                      diversification: one minus the concentration of
                                                           benefits on the powers, s_ip = p's share of all
                                                           benefit-weighted flows (other partners included)

with the contest share ``pi_ip = (C_p (1 - xi_p) care_pi)^nu / sum_q (...)^nu`` and the
bandwagon coefficient ``rho_ip = clip(rho0 - rho1 options_ip - rho2 K_i, -1, 1)``, where
``options_ip`` is the weight of the state's relations with everyone but p and ``K_i`` its
relative economic size (log10 of GDP over the regional geometric mean).

**Hedging target** (E3): ``a*_i = softmax(lambda_i U_i + b_i)``. The bias ``b_i`` is set at
the start so that ``a*_i`` equals the start alignment (benchmark calibration, as in CGE
models): the sources fix the levels, the model explains the changes.

**Update** (E4): peers' moves since the start, among states within the confidence bound,
shift the target; a Friedkin-Johnsen step pulls toward the doctrine anchor; noise is
logistic-normal. Every step is a convex combination or a renormalisation, so alignment
stays on the simplex.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from casim.channels import as_members
from casim.names import CHANNELS
from casim.parameters import ParamArrays
from casim.world import DTYPE, World, axis_mean, axis_sum

#: Mechanisms through which a government perceives change, used to explain its moves: each
#: channel (its flows, leverage and withheld stake), public opinion, threat, credibility, and
#: the rest (capability, care, conditionality, cooperation, guarantees, GDP, doctrine anchor).
PLAYERS: tuple[str, ...] = (*CHANNELS, "opinion", "threat", "credibility", "other")
CHANNEL_FIELDS = ("flow", "excused", "blame", "leverage", "withheld", "total")
FIELD_PLAYER = {
    "opinion": "opinion",
    "threat": "threat",
    "credibility": "credibility",
    **{
        f: "other"
        for f in ("capability", "care", "conditionality", "cooperation", "guarantee_memory", "log_gdp", "anchor")
    },
}


@dataclass
class UtilityInputs:
    """Everything a government's choice reads, each with an explicit member axis.

    Shapes after the member axis: ``flow``, ``excused``, ``blame``, ``leverage``, ``withheld``
    ``(i, p, c)``; ``total`` ``(i, c)``; ``opinion``, ``threat``,
    ``credibility``, ``care``, ``guarantee_memory`` ``(i, p)``; ``capability``,
    ``conditionality`` ``(p,)``; ``cooperation`` ``(i, j)``; ``log_gdp`` ``(i,)``; ``anchor`` ``(i, k)``.
    """

    flow: np.ndarray
    excused: np.ndarray
    blame: np.ndarray
    leverage: np.ndarray
    withheld: np.ndarray
    total: np.ndarray
    opinion: np.ndarray
    threat: np.ndarray
    credibility: np.ndarray
    capability: np.ndarray
    care: np.ndarray
    conditionality: np.ndarray
    cooperation: np.ndarray
    guarantee_memory: np.ndarray
    log_gdp: np.ndarray
    anchor: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def options(inputs: UtilityInputs, params: ParamArrays) -> np.ndarray:
    """``options[i,p]``: the weight of the state's relations with everyone but p (benefit-weighted
    share of its flows that p does not provide), its protective options against p."""
    beta = params["flows.benefit_weight"][:, None, None, :]
    own = axis_sum(beta * (inputs.flow + inputs.excused), 3)  # (n, i, p)
    whole = axis_sum(beta[:, :, 0] * inputs.total, 2)[..., None]  # (n, i, 1)
    return 1.0 - own / np.maximum(whole, 1e-9)


def bandwagon(inputs: UtilityInputs, params: ParamArrays) -> np.ndarray:
    """``rho[i,p]``: positive where a state has few alternatives to p and is small."""
    alternatives = options(inputs, params)
    size = np.log10(params["country.gdp"] * np.exp(inputs.log_gdp))
    capacity = size - axis_mean(size, 1, keepdims=True)
    rho = (
        as_members(params["alignment.bandwagon_base"], 3)
        - as_members(params["alignment.bandwagon_options"], 3) * alternatives
        - as_members(params["alignment.bandwagon_capacity"], 3) * capacity[..., None]
    )
    return np.clip(rho, -1.0, 1.0)


def autonomy_utility(inputs: UtilityInputs, params: ParamArrays) -> np.ndarray:
    """Utility of autonomy ``(n, i)``: regional cooperation, insurance and diversification.

    Insurance is worth more the more every patron threatens and the more it holds over the
    state (leverage and withheld stake), as far as the state has protective options against it
    (:func:`options`; hedging fails without them, Korolev, notes [10]); diversification is one minus the Herfindahl
    concentration of the state's benefit-weighted flows on the powers (partners outside the
    model count as dispersed).
    """
    n_states = inputs.cooperation.shape[1]
    coop = axis_sum(inputs.cooperation, 2) / DTYPE(n_states - 1)
    stake = axis_sum(inputs.leverage + inputs.withheld, 3)  # (n, i, p)
    insurance = axis_sum(inputs.threat * stake * np.clip(options(inputs, params), 0.0, 1.0), 2)
    beta = params["flows.benefit_weight"][:, None, None, :]
    own = axis_sum(beta * (inputs.flow + inputs.excused), 3)  # (n, i, p)
    whole = axis_sum(beta[:, :, 0] * inputs.total, 2)[..., None]
    share = own / np.maximum(whole, 1e-9)
    diversification = 1.0 - axis_sum(share * share, 2)
    return (
        as_members(params["alignment.weight_cooperation"], 2) * coop
        + as_members(params["alignment.weight_insurance"], 2) * insurance
        + as_members(params["alignment.weight_diversification"], 2) * diversification
    )


def utilities(inputs: UtilityInputs, params: ParamArrays) -> np.ndarray:
    """Utility of each pole to each state, ``(n, i, k)`` (see the module docstring)."""
    beta = params["flows.benefit_weight"][:, None, None, :]
    trust = params["flows.credibility_weight"][:, None, None, :]  # promises (FDI, aid) depend on credibility
    believed = 1.0 - trust + trust * inputs.credibility[..., None]
    benefit = axis_sum(beta * (believed * (inputs.flow + inputs.excused) - inputs.blame), 3)
    strength = (inputs.capability * (1.0 - params["powers.capacity_drain"]))[:, None, :] * inputs.care
    nu = as_members(params["alignment.contest_exponent"], 3)
    power = np.power(np.maximum(strength, 1e-9), nu)
    contest = power / axis_sum(power, 2, keepdims=True)
    rho = bandwagon(inputs, params)
    stake = as_members(params["exposure.weaponised_multiplier"], 4)
    leverage = axis_sum(inputs.leverage + stake * inputs.withheld, 3)
    resp = params["alignment.responsiveness"][..., None]  # (n, i, 1)
    u_powers = (
        benefit
        + as_members(params["alignment.weight_contest"], 3) * contest
        + rho * leverage
        + as_members(params["alignment.weight_opinion"], 3) * resp * inputs.opinion
        + as_members(params["alignment.weight_guarantee"], 3) * inputs.guarantee_memory
        - as_members(params["alignment.weight_conditionality"], 3) * inputs.conditionality[:, None, :] * (1.0 - resp)
        - as_members(params["alignment.weight_threat"], 3) * inputs.threat
    )
    return np.concatenate([u_powers, autonomy_utility(inputs, params)[..., None]], axis=2).astype(DTYPE)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / axis_sum(z, -1, keepdims=True)


def calibrate_bias(world: World, params: ParamArrays, utility0: np.ndarray) -> None:
    """Set ``b_i = ln a_i(0) - lambda_i U_i(0)`` so that the start is the target."""
    lam = params["alignment.hedging"][..., None]
    world.bias = (np.log(world.alignment0) - lam * utility0).astype(DTYPE)


def hedging_target(world: World, params: ParamArrays, utility: np.ndarray) -> np.ndarray:
    """``a* = softmax(lambda U + b)``, ``(n, i, k)``."""
    return softmax(params["alignment.hedging"][..., None] * utility + world.bias)


def peer_shift(world: World, params: ParamArrays, cooperation: np.ndarray) -> np.ndarray:
    """Cooperation-weighted mean move since the start of peers within the confidence bound, ``(n, i, k)``."""
    a = world.alignment
    distance = axis_sum(np.abs(a[:, :, None, :] - a[:, None, :, :]), 3)  # (n, i, j)
    close = distance <= as_members(params["alignment.confidence"], 3)
    weights = cooperation * close  # the diagonal of cooperation is zero
    total = axis_sum(weights, 2, keepdims=True)
    weights = np.where(total > 0, weights / np.maximum(total, 1e-12), 0.0)
    moves = a - world.alignment0
    return axis_sum(weights[..., None] * moves[:, None, :, :], 2)


def update_alignment(
    world: World,
    params: ParamArrays,
    target: np.ndarray,
    anchor: np.ndarray,
    cooperation: np.ndarray,
    shock: np.ndarray,
) -> None:
    """E4: ``a <- psi anchor + (1 - psi) ((1 - alpha) a + alpha proj(a* + omega peers))``, then noise."""
    shifted = target + as_members(params["alignment.peer_weight"], 3) * peer_shift(world, params, cooperation)
    shifted = np.maximum(shifted, 0.0)
    shifted /= axis_sum(shifted, 2, keepdims=True)
    psi = as_members(params["alignment.anchor_weight"], 3)
    alpha = as_members(params["alignment.adjustment"], 3)
    a = psi * anchor + (1.0 - psi) * ((1.0 - alpha) * world.alignment + alpha * shifted)
    a = a * np.exp(as_members(params["alignment.noise"], 3) * shock)
    world.alignment = (a / axis_sum(a, 2, keepdims=True)).astype(DTYPE)


def hedging_index(alignment: np.ndarray) -> np.ndarray:
    """Normalised entropy of alignment, ``H(a) / ln K`` in ``[0, 1]``."""
    a = np.clip(alignment, 1e-12, 1.0)
    return (-axis_sum(a * np.log(a), -1) / np.log(a.shape[-1])).astype(DTYPE)
