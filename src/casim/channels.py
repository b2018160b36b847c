"""Leverage channels: flows, substitution, exposure and leverage, and what citizens feel.

Every channel (remittances, energy, security, FDI, trade, aid, media, education) is
described by the same small submodel, with channel-specific parameters:

* **potential** ``P[i,p,c]``: what power ``p`` would provide to state ``i``: a trend path that
  drifts with the power's baseline trend and, for trade and FDI, with the spread of its
  technical standards, plus capacity built by extra effort, which depreciates once the
  effort stops (:func:`grow_potentials`);
* **realised flow** ``F = P x disruption``: weaponisation cuts a share of the flow,
  remittances from Russia follow Russia's output gap and the ruble, a guarantee deepens
  security ties (:func:`disruption`), and scenario interventions change the flow directly;
  cuts bite at once but recover gradually, at the channel's recovery rate
  (:func:`realise_flows`);
* **attribution**: a flow a power's coercion cuts is its *harm*; a cut in one power's flow
  that the scenario attributes to other powers is *excused* for the first and *blamed* on
  the others, and help is credited to its authors (:func:`attribute`, :func:`credit_help`);
  coercion makes its target diversify durably (:func:`advance_diversification`);
* **substitution**: other partners take over a share ``sigma`` of the lost flow at a
  given rate, so the cost of a disruption falls from its *sensitivity* (immediate) to its
  *vulnerability* (after adjustment), after Keohane and Nye;
* **leverage** ``L = J x max(0, P (1 - sigma) - phi V)``: the power's jurisdiction over
  the chokepoint times the state's vulnerability (what the power provides and could withhold
  that the state could not replace), net of the power's reverse dependence;
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
FDI, TRADE, AID = CHANNELS.index("fdi"), CHANNELS.index("trade"), CHANNELS.index("aid")
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

    ``B' = B (1 + g_pc + pull 1[c in trade, fdi] (S - S0))``           trend path
    ``X' = (1 - delta_c) X + gamma_c (e - 1) B'``                      capacity from extra effort
    ``P = max(B' + X', 0)``                                           potential flow

    With effort at its baseline (``e = 1``) the capacity stays zero and ``P = B`` exactly.
    """
    pull = as_members(params["standards.trade_pull"], 4) * (world.standards - world.standards0)[..., None]
    world.trend_path = (world.trend_path * (1.0 + trend[:, None, :, :] + pull * LOCK_IN_CHANNELS)).astype(DTYPE)
    gamma = params["flows.effort_response"][:, None, None, :]
    delta = params["flows.depreciation"][:, None, None, :]
    world.capacity = (world.capacity * (1.0 - delta) + gamma * (effort - 1.0) * world.trend_path).astype(DTYPE)
    world.potential = np.maximum(world.trend_path + world.capacity, 0.0).astype(DTYPE)


def disruption(
    params: ParamArrays, weaponised: np.ndarray, remittances: np.ndarray, guaranteed: np.ndarray
) -> np.ndarray:
    """Multiplier ``(n, i, p, c)`` on each potential flow this quarter.

    Weaponisation cuts ``severity_c`` of the flow; remittances from Russia follow its economy
    and the ruble (``remittances``, ``(n,)``, from :func:`casim.economy.remittance_factor`); a
    guarantor's security flow rises by ``guarantee_boost`` (``guaranteed``, ``(n, i, p)``).
    """
    out = 1.0 - params["weaponisation.severity"][:, None, None, :] * weaponised
    out[:, :, RUSSIA, REM] *= remittances[:, None]
    out[..., SECURITY] *= 1.0 + as_members(params["powers.guarantee_boost"], 3) * guaranteed
    return out.astype(DTYPE)


def cyclical_loss(potential: np.ndarray, remittances: np.ndarray) -> np.ndarray:
    """Flow lost (positive) or gained to the market cycle, ``(n, i, p, c)``: Russia's output gap and
    the ruble move the dollar value of remittances from Russia (``remittances``, ``(n,)``)."""
    out = np.zeros_like(potential)
    out[:, :, RUSSIA, REM] = potential[:, :, RUSSIA, REM] * (1.0 - remittances[:, None])
    return out


def coercive_cut(params: ParamArrays, potential: np.ndarray, weaponised: np.ndarray) -> np.ndarray:
    """Flow each power withholds from its own channels by weaponising them, ``(n, i, p, c)``."""
    return (potential * params["weaponisation.severity"][:, None, None, :] * weaponised).astype(DTYPE)


def attribute(
    parts: list[tuple[tuple[int, ...], np.ndarray]], shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attribute authored changes of flows to their authors.

    Args:
        parts: ``(author indices, before - after)`` of each authored change of ``flow``
            (:meth:`casim.interventions.Schedule.apply_attributed`); the change has shape
            ``(n, i, q, c)``, positive where ``q``'s flow is cut. Several authors share a
            change equally.
        shape: ``(n, i, p, c)``.

    Returns:
        ``excused`` (the part of each power's change caused by others), ``blame`` (the change
        each author caused to other powers' flows) and ``harm`` (every cut each author caused,
        its own flows included), each ``(n, i, p, c)``.
    """
    excused, blame, harm = (np.zeros(shape, DTYPE) for _ in range(3))
    for authors, change in parts:
        share = np.broadcast_to(change, shape) / DTYPE(len(authors))
        for a in authors:
            others = share.copy()
            others[:, :, a] = 0.0
            excused += others
            blame[:, :, a] += axis_sum(others, 2)
            harm[:, :, a] += axis_sum(np.maximum(share, 0.0), 2)
    return excused, blame, harm


def credit_help(
    blame: np.ndarray, parts: list[tuple[tuple[int, ...], np.ndarray]], value: np.ndarray, channel: int
) -> None:
    """Credit help to its authors: subtract its flow-equivalent ``value x help`` from their blame.

    Args:
        blame: ``(n, i, p, c)``, changed in place.
        parts: ``(author indices, before - after)`` of each authored change of a help driver
            (e.g. ``water_governance``), shape ``(n, i)``; negative where help is added.
        value: ``(n, i)`` flow-equivalent of one unit of the driver.
        channel: The channel in which the help is valued (``aid``: technical cooperation).
    """
    for authors, change in parts:
        given = -(value * change) / DTYPE(len(authors))
        for a in authors:
            blame[:, :, a, channel] -= np.broadcast_to(given, blame.shape[:2]).astype(DTYPE)


def state_substitutability(world: World, params: ParamArrays, base: np.ndarray) -> np.ndarray:
    """``sigma[i,c]``: base bypass capacity, raised by regional cooperation and by durable
    diversification after coercion (:func:`advance_diversification`)."""
    coop_gain = axis_mean(world.cooperation - world.cooperation0, 2)  # (n, i)
    sigma = base + as_members(params["exposure.cooperation_bypass"], 3) * coop_gain[:, :, None]
    return np.clip(sigma + world.diversification, 0.0, 1.0).astype(DTYPE)


def effective_substitutability(world: World, params: ParamArrays, base: np.ndarray) -> np.ndarray:
    """``sigma[i,p,c]``: the state's substitutability, lowered for a power's trade and FDI by lock-in.

    ``sigma[i,p,c] = clip(sigma0[i,c] + b_coop mean_j (Coop - Coop0)[i] + Div[i,c]
    - lock (Std - Std0)[i,p] 1[c in trade, fdi])``
    """
    sigma = state_substitutability(world, params, base)[:, :, None, :]
    lock = as_members(params["exposure.lock_in"], 4) * (world.standards - world.standards0)[..., None]
    return np.clip(sigma - lock * LOCK_IN_CHANNELS, 0.0, 1.0).astype(DTYPE)


def advance_diversification(world: World, params: ParamArrays) -> None:
    """Coercion makes its target diversify for good: new routes, new destinations for migrants.

    ``Div[i,c] <- Div + r x[i,c] (1 - Div) - d Div``, where ``x`` is the share of the channel
    cut by coercion this quarter (``sum_p harm / total0``), ``r`` the rate and ``d`` a slow decay.
    """
    cut = np.minimum(axis_sum(world.harm, 2) / np.maximum(world.total0, TINY), 1.0)
    rate = as_members(params["exposure.diversification_rate"], 3)
    decay = as_members(params["exposure.diversification_decay"], 3)
    div = world.diversification
    world.diversification = np.clip(div + rate * cut * (1.0 - div) - decay * div, 0.0, 1.0).astype(DTYPE)


def realise_flows(world: World, params: ParamArrays, own: np.ndarray, sigma: np.ndarray) -> None:
    """Realised flows, substitution and totals for this quarter (updates ``world``).

    Args:
        world: State; ``potential`` is read, ``flow``, ``cut``, ``substitute`` and ``total`` set.
        params: Parameters.
        own: ``(n, i, p, c)`` each power's flow this quarter before lingering cuts and substitution:
            the potential times :func:`disruption`, with the scenario's changes of ``flow``.
        sigma: ``(n, i, p, c)`` effective substitutability.
    """
    # Cuts bite at once; recoveries take time: the cut share decays at the channel's recovery rate.
    # A cut that lingers scales the flow down from what it would be now (a rise above the
    # potential, e.g. a stronger ruble, is kept in proportion).
    potential = np.maximum(world.potential, TINY)
    cut = np.maximum(1.0 - own / potential, 0.0)
    recovery = params["flows.recovery"][:, None, None, :]
    lingering = np.maximum(cut, world.cut * (1.0 - recovery))
    own = np.where(lingering > cut, own * (1.0 - lingering) / np.maximum(1.0 - cut, TINY), own)
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

    A power's hold is over what it provides or could withhold: its potential flow ``P``
    (neither its own cut, nor cuts by others, nor the market cycle loosen it: a weaker ruble
    does not loosen Russia's hold on its labour market). Vulnerability is ``P (1 - sigma)``;
    leverage ``L = J max(0, P (1 - sigma) - phi V)``. While it coerces, the power also holds
    the flow its coercion cuts (its harm ``h``: its own flows it withholds and others' flows
    cut at its instance), ``K = J h``: what accommodation could win back.
    """
    vulnerability = world.potential * (1.0 - sigma)
    reverse = params["exposure.reverse_dependence"].transpose(0, 2, 3, 1)  # (n, i, p, c)
    phi = as_members(params["exposure.reverse_discount"], 4)
    world.leverage = (juris * np.maximum(vulnerability - phi * reverse, 0.0)).astype(DTYPE)
    world.withheld = (juris * world.harm).astype(DTYPE)


def perceived_flow(world: World) -> np.ndarray:
    """What each power is seen to provide, ``F + excused - blame`` ``(n, i, p, c)``: changes caused by
    other powers are not held against a power, and a power answers for the flows it cut or the
    help it gave."""
    return world.flow + world.excused - world.blame


def relative_change(world: World) -> np.ndarray:
    """``delta[i,p,c]``: change of each power's perceived flow since the start, relative to the
    channel's start size."""
    return (perceived_flow(world) - world.flow0) / np.maximum(world.total0, TINY)[:, :, None, :]


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
    plus for everyone the change of the credibility their state grants the power
    (``credibility_change``, ``(n, i, p)``), resentment of active coercion and the spill-over
    of a backlash against migrants; migrant households feel the backlash in full. Scenario
    ``opinion_shift`` adds to any audience.
    """
    visible = params["citizens.visible"]  # (n, c)
    vis = np.where(visible[:, None, :] > 0, visibility[:, :, None], 1.0)  # (n, p, c)
    felt = relative_change(world) * vis[:, None, :, :]  # (n, i, p, c)
    experience = params["citizens.experience"]  # (n, a, c)
    signals = axis_sum(felt[:, :, :, None, :] * experience[:, None, None, :, :], -1)  # (n, i, p, a)
    effect = as_members(params["citizens.backlash_effect"], 3)
    spill = as_members(params["citizens.backlash_spillover"], 3)
    general = (
        as_members(params["citizens.credibility_effect"], 3) * credibility_change
        - as_members(params["citizens.coercion_effect"], 3) * axis_sum(world.weaponised, 3)
        - effect * spill * backlash
    )
    signals[..., 0] += general
    signals[..., 1] -= effect * (1.0 - spill) * backlash  # audience 1 = migrant households
    signals += opinion_shift
    return signals.astype(DTYPE)
