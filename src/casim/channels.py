"""Leverage channels: flows, substitution, exposure and leverage, and what citizens feel.

Every channel (remittances, energy, security, FDI, trade, aid, media, education) is
described by the same small submodel, with channel-specific parameters:

* **potential** ``P[i,p,c]``: what power ``p`` would provide to state ``i``: a trend path that
  drifts with the power's baseline trend and, for trade and FDI, with the spread of its
  technical standards, plus capacity built by extra effort, which depreciates once the
  effort stops (:func:`grow_potentials`);
* **realised flow** ``F = P x disruption``: weaponisation cuts a share of the flow,
  remittances from Russia follow Russia's output gap, a guarantee deepens security ties,
  and scenario interventions change the flow directly; cuts bite at once but recover
  gradually, at the channel's recovery rate (:func:`realise_flows`);
* **substitution**: other partners take over a share ``sigma`` of the lost flow at a
  given rate, so the cost of a disruption falls from its *sensitivity* (immediate) to its
  *vulnerability* (after adjustment), after Keohane and Nye;
* **leverage** ``L = J x max(0, F (1 - sigma) - phi V)``: the power's jurisdiction over
  the chokepoint times the state's vulnerability, net of the power's reverse dependence;
  while the channel is weaponised, also the **withheld stake** ``J x (P - F)``, which the
  state could win back by accommodating (:func:`exposure`).

Flows of economic channels are fractions of GDP; security, media and education flows
are indices of the channel's weight.
"""

from __future__ import annotations

import numpy as np

from casim.names import CHANNELS, POWERS
from casim.parameters import ParamArrays
from casim.world import DTYPE, World, axis_mean, axis_sum

REM, ENERGY, SECURITY = CHANNELS.index("remittances"), CHANNELS.index("energy"), CHANNELS.index("security")
FDI, TRADE = CHANNELS.index("fdi"), CHANNELS.index("trade")
EDUCATION = CHANNELS.index("education")
RUSSIA = POWERS.index("Russia")
#: Channels whose substitutability falls as the partner's technical standards spread.
LOCK_IN_CHANNELS = np.array([c in ("fdi", "trade") for c in CHANNELS])
TINY = np.float32(1e-9)


def as_members(arr: np.ndarray, ndim: int) -> np.ndarray:
    """Reshape a per-member parameter ``(n or 1, ...)`` to broadcast against ``ndim`` axes."""
    return arr.reshape(arr.shape + (1,) * (ndim - arr.ndim))


def grow_potentials(world: World, params: ParamArrays, effort: np.ndarray, trend: np.ndarray) -> None:
    """E6: drift and standards move the trend path; extra effort builds capacity that depreciates.

    ``B <- B (1 + g_pc + pull 1[c in trade, fdi] (S - S0))``            trend path
    ``X <- (1 - delta_c) X + gamma_c (e - 1) B``                        capacity from extra effort
    ``P = max(B + X, 0)``                                              potential flow
    """
    pull = as_members(params["standards.trade_pull"], 4) * (world.standards - world.standards0)[..., None]
    world.trend_path *= 1.0 + trend[:, None, :, :] + pull * LOCK_IN_CHANNELS
    gamma = params["flows.effort_response"][:, None, None, :]
    delta = params["flows.depreciation"][:, None, None, :]
    extra = (world.potential - world.trend_path) * (1.0 - delta) + gamma * (effort - 1.0) * world.trend_path
    world.potential = np.maximum(world.trend_path + extra, 0.0).astype(DTYPE)


def effective_substitutability(world: World, params: ParamArrays, base: np.ndarray) -> np.ndarray:
    """``sigma[i,p,c]``: base bypass capacity, raised by regional cooperation, lowered by lock-in."""
    coop_gain = axis_mean(world.cooperation - world.cooperation0, 2)  # (n, i)
    sigma = base[:, :, None, :] + as_members(params["exposure.cooperation_bypass"], 4) * coop_gain[:, :, None, None]
    lock = as_members(params["exposure.lock_in"], 4) * (world.standards - world.standards0)[..., None]
    sigma = sigma - lock * LOCK_IN_CHANNELS
    return np.clip(sigma, 0.0, 1.0).astype(DTYPE)


def realise_flows(
    world: World,
    params: ParamArrays,
    disruption: np.ndarray,
    sigma: np.ndarray,
    flow_change,
) -> None:
    """Realised flows, substitution and totals for this quarter (updates ``world``).

    Args:
        world: State; ``potential`` is read, ``flow``, ``substitute`` and ``total`` set.
        params: Parameters.
        disruption: ``(n, i, p, c)`` multiplier on the potential (weaponisation, Russia's
            output gap, guarantees).
        sigma: ``(n, i, p, c)`` effective substitutability.
        flow_change: Callable applying the scenario's interventions on ``flow``.
    """
    own = flow_change(world.potential * disruption)
    # Cuts bite at once; recoveries take time: the cut share decays at the channel's recovery rate.
    potential = np.maximum(world.potential, TINY)
    cut = np.maximum(1.0 - own / potential, 0.0)
    recovery = params["flows.recovery"][:, None, None, :]
    lingering = np.maximum(cut, world.cut * (1.0 - recovery))
    own = np.where(lingering > cut, world.potential * (1.0 - lingering), own)
    world.cut = lingering.astype(DTYPE)
    lost = np.maximum(world.potential - own, 0.0)
    replaceable = axis_sum(lost * sigma, 2)
    rate = as_members(params["flows.substitution_rate"], 3)
    world.substitute += rate * (replaceable - world.substitute)
    # Substitutes come from partners that are not disrupted, in proportion to their flows.
    undisrupted = own * (lost <= 1e-6 * np.maximum(world.potential, TINY))
    denom = axis_sum(undisrupted, 2) + world.other
    has_partner = denom > TINY
    scale = np.where(has_partner, world.substitute / np.maximum(denom, TINY), 0.0)
    world.flow = (own + undisrupted * scale[:, :, None, :]).astype(DTYPE)
    other = world.other * (1.0 + scale) + np.where(has_partner, 0.0, world.substitute)
    world.total = (axis_sum(world.flow, 2) + other).astype(DTYPE)


def shares(world: World) -> np.ndarray:
    """Each power's share of each channel ``x[i,p,c]``."""
    return world.flow / np.maximum(world.total, TINY)[:, :, None, :]


def jurisdiction(params: ParamArrays) -> np.ndarray:
    """``J[i,p,c]``: control over chokepoints, plus Russia's CSTO and EAEU entanglement."""
    base = params["exposure.jurisdiction"][:, None, :, :]  # (n, 1, p, c)
    csto = params["country.csto"] * as_members(params["exposure.csto_bonus"], 2)  # (n, i)
    eaeu = params["country.eaeu"] * as_members(params["exposure.eaeu_bonus"], 2)
    extra = np.zeros((max(base.shape[0], csto.shape[0]), csto.shape[1], len(POWERS), len(CHANNELS)), DTYPE)
    extra[:, :, RUSSIA, SECURITY] = csto
    extra[:, :, RUSSIA, TRADE] = eaeu
    return np.clip(base + extra, 0.0, 1.0)


def exposure(world: World, params: ParamArrays, sigma: np.ndarray, juris: np.ndarray) -> None:
    """E1: leverage held and the stake withheld by coercion (sets ``world.leverage``, ``world.withheld``).

    Sensitivity is the flow ``F``, vulnerability ``F (1 - sigma)``; leverage
    ``L = J max(0, F (1 - sigma) - phi V)``. While a channel is weaponised, the power also
    holds the flow it withholds, ``K = J W max(P - F, 0)``: what accommodation could win back.
    """
    vulnerability = world.flow * (1.0 - sigma)
    reverse = params["exposure.reverse_dependence"].transpose(0, 2, 3, 1)  # (n, i, p, c)
    phi = as_members(params["exposure.reverse_discount"], 4)
    world.leverage = (juris * np.maximum(vulnerability - phi * reverse, 0.0)).astype(DTYPE)
    world.withheld = (juris * world.weaponised * np.maximum(world.potential - world.flow, 0.0)).astype(DTYPE)


def relative_change(world: World) -> np.ndarray:
    """``delta[i,p,c]``: change of each power's flow since the start, relative to the channel's start size."""
    return (world.flow - world.flow0) / np.maximum(world.total0, TINY)[:, :, None, :]


def citizen_signals(
    world: World,
    params: ParamArrays,
    visibility: np.ndarray,
    credibility_change: np.ndarray,
    backlash: np.ndarray,
    opinion_shift: np.ndarray,
) -> np.ndarray:
    """What each audience feels from each power this quarter, ``(n, i, p, audience)``.

    ``s_a = sum_c E[a,c] v_pc delta_ipc`` (``v`` = visibility for visible channels, else 1),
    plus for everyone the change of the power's credibility, resentment of active
    coercion and the spill-over of a backlash against migrants; migrant households feel
    the backlash in full. Scenario ``opinion_shift`` adds to any audience.
    """
    visible = params["citizens.visible"]  # (n, c)
    vis = np.where(visible[:, None, :] > 0, visibility[:, :, None], 1.0)  # (n, p, c)
    felt = relative_change(world) * vis[:, None, :, :]  # (n, i, p, c)
    experience = params["citizens.experience"]  # (n, a, c)
    signals = axis_sum(felt[:, :, :, None, :] * experience[:, None, None, :, :], -1)  # (n, i, p, a)
    effect = as_members(params["citizens.backlash_effect"], 3)
    spill = as_members(params["citizens.backlash_spillover"], 3)
    general = (
        as_members(params["citizens.credibility_effect"], 3) * credibility_change[:, None, :]
        - as_members(params["citizens.coercion_effect"], 3) * axis_sum(world.weaponised, 3)
        - effect * spill * backlash
    )
    signals[..., 0] += general
    signals[..., 1] -= effect * (1.0 - spill) * backlash  # audience 1 = migrant households
    signals += opinion_shift
    return signals.astype(DTYPE)
