"""Each submodel of docs/model.md section 7, pinned against its formula on a World built by hand.

Every test fills a one-member World with arbitrary values (from the test's own generator),
calls the model's function and recomputes the documented equation element by element.
"""

from __future__ import annotations

import numpy as np
import pytest

from casim import channels, economy, government, powers
from casim.model import CentralAsiaModel
from casim.names import CHANNELS, POWERS, STATES
from casim.paramfile import load_parameters
from casim.spec import RunSpec
from casim.world import EFFECTIVE_DIMS, WORLD_DIMS, World, initial_world

N_S, N_P, N_C = len(STATES), len(POWERS), len(CHANNELS)
RUSSIA, REM, SEC, AID = 0, CHANNELS.index("remittances"), CHANNELS.index("security"), CHANNELS.index("aid")


@pytest.fixture(scope="module")
def p():
    return load_parameters().resolve([0], 0, sample_ranges=False, dtype=np.float64)


@pytest.fixture
def rng():
    return np.random.default_rng(20261129)


def world(p, rng) -> World:
    """A one-member world with every stock set to arbitrary values of the right shape."""
    w = initial_world(p)
    for name in WORLD_DIMS:
        arr = getattr(w, name)
        if arr.dtype.kind == "f" and name not in ("alignment", "alignment0", "alignment_memory", "bias"):
            setattr(w, name, rng.uniform(0.05, 0.6, arr.shape).astype(arr.dtype))
    a = rng.uniform(0.05, 1.0, w.alignment.shape)
    w.alignment = (a / a.sum(-1, keepdims=True)).astype(np.float32)
    return w


def v(p, path):
    """A parameter's values without the member axis, float64."""
    return np.asarray(p[path], dtype=np.float64)[0]


def test_every_world_field_keeps_its_documented_shape_through_a_step():
    model = CentralAsiaModel(RunSpec(load_parameters(), horizon=2), members=3, seed=1)
    model.step()
    sizes = {"state": N_S, "partner": N_S, "power": N_P, "pole": N_P + 1, "channel": N_C}
    for name, dims in WORLD_DIMS.items():
        assert getattr(model.world, name).shape == (3, *(sizes[d] for d in dims)), name
    for name, dims in EFFECTIVE_DIMS.items():
        assert getattr(model.effective, name).shape == (3, *(sizes[d] for d in dims)), name


def test_grow_potentials(p, rng):
    w = world(p, rng)
    b, x, s, s0 = (np.array(a[0], dtype=np.float64) for a in (w.trend_path, w.capacity, w.standards, w.standards0))
    effort = rng.uniform(0.5, 2.0, (1, N_S, N_P, N_C))
    trend = p["flows.trend"]
    channels.grow_potentials(w, p, effort, trend)
    lock = np.array([c in ("trade", "fdi") for c in CHANNELS])
    for i in range(N_S):
        for q in range(N_P):
            for c in range(N_C):
                b1 = b[i, q, c] * (1 + trend[0, q, c] + v(p, "standards.trade_pull") * (s - s0)[i, q] * lock[c])
                x1 = (1 - v(p, "flows.depreciation")[c]) * x[i, q, c] + v(p, "flows.effort_response")[c] * (
                    effort[0, i, q, c] - 1
                ) * b1
                assert w.trend_path[0, i, q, c] == pytest.approx(b1, rel=1e-5)
                assert w.capacity[0, i, q, c] == pytest.approx(x1, rel=1e-4, abs=1e-7)
                assert w.potential[0, i, q, c] == pytest.approx(max(b1 + x1, 0.0), rel=1e-4, abs=1e-7)


def test_potentials_do_not_drift_from_their_trend_path_at_baseline_effort(p):
    """The bug of the first build: with effort fixed at 1 the potential drifted away from its trend path."""
    w = initial_world(p)
    trend = p["flows.trend"]
    for _ in range(40):
        channels.grow_potentials(w, p, np.ones((1, N_S, N_P, N_C)), trend)
    np.testing.assert_array_equal(w.capacity, 0.0)
    np.testing.assert_allclose(w.potential, w.trend_path, rtol=1e-6)


def test_disruption_and_remittances_in_dollars(p, rng):
    weaponised = (rng.uniform(size=(1, N_S, N_P, N_C)) > 0.5).astype(np.float64)
    guaranteed = (rng.uniform(size=(1, N_S, N_P)) > 0.5).astype(np.float64)
    gap, ruble = np.array([-0.03]), np.array([0.55])
    factor = economy.remittance_factor(p, gap, ruble)
    expected = np.exp(v(p, "economy.remittance_elasticity") * -0.03) * 0.55 ** v(p, "economy.remittance_fx_elasticity")
    assert factor[0] == pytest.approx(expected, rel=1e-5)
    d = channels.disruption(p, weaponised, factor, guaranteed)
    severity = v(p, "weaponisation.severity")
    boost = v(p, "powers.guarantee_boost")
    for i in range(N_S):
        for q in range(N_P):
            for c in range(N_C):
                want = 1 - severity[c] * weaponised[0, i, q, c]
                want *= expected if (q == RUSSIA and c == REM) else 1.0
                want *= 1 + boost * guaranteed[0, i, q] if c == SEC else 1.0
                assert d[0, i, q, c] == pytest.approx(want, rel=1e-5)


def test_russia_and_the_ruble_follow_correlated_ar1_processes(p):
    w = initial_world(p)
    w.russia_gap, w.ruble = np.array([0.02]), np.array([-0.1])
    economy.advance_russia(w, p, np.array([0.5]), np.array([-1.0]))
    rho, sigma = v(p, "economy.russia_persistence"), v(p, "economy.russia_volatility")
    assert w.russia_gap[0] == pytest.approx(rho * 0.02 + sigma * 0.5, rel=1e-5)
    rho_r, sigma_r, c = (v(p, f"economy.ruble_{k}") for k in ("persistence", "volatility", "gap_correlation"))
    assert w.ruble[0] == pytest.approx(rho_r * -0.1 + sigma_r * (c * 0.5 + np.sqrt(1 - c * c) * -1.0), rel=1e-5)


def test_attribution_of_authored_flow_changes():
    shape = (1, N_S, N_P, N_C)
    change = np.zeros(shape)
    change[0, 1, RUSSIA, 4] = 0.06  # a cut of Russia's trade with Kyrgyzstan ...
    change[0, 1, 2, 4] = 0.01  # ... and of the EU's own
    excused, blame, harm = channels.attribute([((2, 3), change)], shape)  # ... caused by the EU and the US
    assert excused[0, 1, RUSSIA, 4] == pytest.approx(0.06), "Russia is not held responsible"
    assert excused[0, 1, 2, 4] == pytest.approx(0.005), "the US's half of the cut in the EU's flow"
    assert blame[0, 1, 2, 4] == pytest.approx(0.03) and blame[0, 1, 3, 4] == pytest.approx(0.035)
    assert harm[0, 1, 2, 4] == pytest.approx(0.035) and harm[0, 1, 3, 4] == pytest.approx(0.035)
    assert excused.sum() + blame.sum() == pytest.approx(2 * 0.065), "every cut is either excused or blamed twice"
    blame = np.zeros(shape)
    channels.credit_help(blame, [((2,), -np.full((1, N_S), 0.5))], np.full((1, N_S), 0.04), AID)
    np.testing.assert_allclose(blame[0, :, 2, AID], -0.02), "help is credited as negative blame"


def test_diversification_and_substitutability(p, rng):
    w = world(p, rng)
    div0 = np.array(w.diversification[0], dtype=np.float64)
    cut = np.asarray(w.harm[0], dtype=np.float64).sum(axis=1) / np.asarray(w.total0[0], dtype=np.float64)
    channels.advance_diversification(w, p)
    rate, decay = v(p, "exposure.diversification_rate"), v(p, "exposure.diversification_decay")
    want = np.clip(div0 + rate * np.minimum(cut, 1) * (1 - div0) - decay * div0, 0, 1)
    np.testing.assert_allclose(w.diversification[0], want, rtol=1e-5)
    base = rng.uniform(0, 0.5, (1, N_S, N_C))
    sigma = channels.effective_substitutability(w, p, base)
    coop = (np.asarray(w.cooperation[0]) - np.asarray(w.cooperation0[0])).mean(axis=1)
    lock = np.array([c in ("trade", "fdi") for c in CHANNELS])
    for i in range(N_S):
        for q in range(N_P):
            for c in range(N_C):
                s = base[0, i, c] + v(p, "exposure.cooperation_bypass") * coop[i] + w.diversification[0, i, c]
                s = np.clip(s, 0, 1) - v(p, "exposure.lock_in") * (w.standards - w.standards0)[0, i, q] * lock[c]
                assert sigma[0, i, q, c] == pytest.approx(np.clip(s, 0, 1), abs=1e-6)


def test_realised_flows_cuts_linger_and_partners_substitute(p, rng):
    w = world(p, rng)
    w.cut[:] = 0.0
    w.cut[0, 2, RUSSIA, REM] = 0.3  # a cut that is still recovering
    own = np.array(w.potential, dtype=np.float64)
    own[0, 2, RUSSIA, REM] *= 0.9  # this quarter's own cut is smaller than what lingers
    sigma = np.full((1, N_S, N_P, N_C), 0.25)
    before_sub = np.array(w.substitute[0], dtype=np.float64)
    other = np.array(w.other[0], dtype=np.float64)
    channels.realise_flows(w, p, own.copy(), sigma)
    recovery = v(p, "flows.recovery")[REM]
    lingering = max(0.1, 0.3 * (1 - recovery))
    assert w.cut[0, 2, RUSSIA, REM] == pytest.approx(lingering, rel=1e-5)
    kept = own[0, 2, RUSSIA, REM] * (1 - lingering) / 0.9
    assert w.flow[0, 2, RUSSIA, REM] == pytest.approx(kept, rel=1e-4), "the disrupted power is not scaled up"
    lost = w.potential[0, 2, RUSSIA, REM] - kept
    rate = v(p, "flows.substitution_rate")
    substitute = before_sub[2, REM] + rate * (0.25 * lost - before_sub[2, REM])
    assert w.substitute[0, 2, REM] == pytest.approx(substitute, rel=1e-4)
    undisrupted = own[0, 2, 1:, REM]  # the other powers' flows were not cut
    scale = substitute / (undisrupted.sum() + other[2, REM])
    np.testing.assert_allclose(w.flow[0, 2, 1:, REM], undisrupted * (1 + scale), rtol=1e-4)
    total = kept + (undisrupted * (1 + scale)).sum() + other[2, REM] * (1 + scale)
    assert w.total[0, 2, REM] == pytest.approx(total, rel=1e-4)


def test_exposure_leverage_on_potential_and_the_withheld_stake(p, rng):
    w = world(p, rng)
    sigma = rng.uniform(0, 0.5, (1, N_S, N_P, N_C))
    juris = channels.jurisdiction(p)
    channels.exposure(w, p, sigma, juris)
    reverse = np.asarray(p["exposure.reverse_dependence"][0], dtype=np.float64).transpose(1, 2, 0)
    phi = v(p, "exposure.reverse_discount")
    for i in range(N_S):
        for q in range(N_P):
            for c in range(N_C):
                vul = w.potential[0, i, q, c] * (1 - sigma[0, i, q, c])
                want = juris[0, i, q, c] * max(0.0, vul - phi * reverse[i, q, c])
                assert w.leverage[0, i, q, c] == pytest.approx(want, rel=1e-4, abs=1e-7)
                assert w.withheld[0, i, q, c] == pytest.approx(juris[0, i, q, c] * w.harm[0, i, q, c], rel=1e-4)


def test_threat_follows_the_harm_while_it_lasts(p, rng):
    w = world(p, rng)
    t0 = np.array(w.threat[0], dtype=np.float64)
    harm = economy.harm_weight(p, w.harm)
    economy.advance_threat(w, p, harm)
    tau, beta = v(p, "weaponisation.threat"), v(p, "flows.benefit_weight")
    target = v(p, "threat.initial") + (np.asarray(w.harm[0], dtype=np.float64) * beta * tau).sum(axis=2)
    want = np.clip(t0 + v(p, "threat.decay") * (target - t0), 0, 1)
    np.testing.assert_allclose(w.threat[0], want, rtol=1e-5)


def test_credibility_falls_mostly_with_the_target(p, rng):
    w = world(p, rng)
    d0 = np.array(w.credibility_damage[0], dtype=np.float64)
    harm = economy.harm_weight(p, w.harm)
    level = economy.advance_credibility(w, p, harm, 7)
    own = (np.asarray(harm[0], dtype=np.float64) * v(p, "weaponisation.credibility_cost")).sum(axis=2)
    others = own.sum(axis=0, keepdims=True) - own
    spill, rec = v(p, "weaponisation.credibility_spillover"), v(p, "powers.credibility_recovery")
    d1 = (d0 + own + spill * others) * (1 - rec)
    np.testing.assert_allclose(w.credibility_damage[0], d1, rtol=1e-5)
    r0 = v(p, "powers.credibility") + v(p, "powers.credibility_trend") * 7
    np.testing.assert_allclose(level[0], np.clip(r0[None, :] - d1, 0, 1), rtol=1e-5)


def test_gdp_and_stability(p, rng):
    w = world(p, rng)
    y0, q0 = np.array(w.log_gdp[0], dtype=np.float64), np.array(w.stability[0], dtype=np.float64)
    previous = np.asarray(w.total, dtype=np.float64) * 0.9
    stress_change = rng.uniform(0, 0.05, (1, N_S))
    shock = rng.normal(size=(1, N_S))
    growth = economy.advance_gdp(w, p, previous, stress_change, shock)
    mu = v(p, "flows.gdp_multiplier")
    want = (
        v(p, "country.growth")
        + ((np.asarray(w.total[0], dtype=np.float64) - previous[0]) * mu).sum(axis=1)
        - v(p, "water.gdp_sensitivity") * stress_change[0]
        + v(p, "economy.gdp_noise") * shock[0]
    )
    np.testing.assert_allclose(growth[0], want, rtol=1e-5)
    np.testing.assert_allclose(w.log_gdp[0], y0 + want, rtol=1e-5)
    crisis, guaranteed, z = np.full((1, N_S), 0.05), np.ones((1, N_S)), rng.normal(size=(1, N_S))
    economy.advance_stability(w, p, growth, crisis, guaranteed, z)
    rest = v(p, "regime.initial") - v(p, "regime.water_sensitivity") * np.asarray(w.water_stress[0], dtype=np.float64)
    change = (
        v(p, "regime.recovery") * (rest - q0)
        + v(p, "regime.growth_sensitivity") * (want - v(p, "country.growth"))
        + v(p, "regime.guarantee_support")
        - 0.05
        + v(p, "regime.noise") * z[0]
    )
    np.testing.assert_allclose(w.stability[0], np.clip(q0 + change, 0, 1), rtol=1e-5)


def test_water_stress_and_river_cooperation(p, rng):
    w = world(p, rng)
    availability = np.array([[0.8, 0.9, 1.1, 0.85, 0.95]])
    easing = rng.uniform(0, 1, (1, N_S))
    stress = economy.water_stress(p, availability, easing)
    e = v(p, "water.governance_effect")
    np.testing.assert_allclose(stress[0], np.maximum(1 - availability[0], 0) * (1 - e * easing[0]), rtol=1e-5)
    wc0 = np.array(w.water_cooperation[0], dtype=np.float64)
    short = np.maximum(1 - availability, 0)
    gov = rng.uniform(0, 1, (1, N_S))
    economy.advance_water_cooperation(w, p, short, gov)
    up = v(p, "country.upstream")
    for i in range(N_S):
        for j in range(N_S):
            if i == j:
                assert w.water_cooperation[0, i, j] == 0
                continue
            mixed = abs(up[i] - up[j])
            change = (
                v(p, "water.cooperation_recovery") * (w.water_cooperation0[0, i, j] - wc0[i, j])
                - v(p, "water.cooperation_tension") * mixed * 0.5 * (short[0, i] + short[0, j])
                + v(p, "water.governance_support") * max(gov[0, i], gov[0, j]) * (1 - wc0[i, j])
            )
            assert w.water_cooperation[0, i, j] == pytest.approx(np.clip(wc0[i, j] + change, 0, 1), abs=1e-6)


def test_regional_cooperation_and_standards(p, rng):
    w = world(p, rng)
    c0, s0 = np.array(w.cooperation[0], dtype=np.float64), np.array(w.standards[0], dtype=np.float64)
    economy.advance_cooperation(w, p)
    x = np.asarray(channels.shares(w)[0], dtype=np.float64)
    economy.advance_standards(w, p)
    want = np.clip(c0 + v(p, "cooperation.growth") * (v(p, "cooperation.ceiling") - c0), 0, 1)
    np.fill_diagonal(want, 0)
    np.testing.assert_allclose(w.cooperation[0], want, rtol=1e-5)
    weight = v(p, "standards.education_weight")
    target = weight * x[..., CHANNELS.index("education")] + (1 - weight) * x[..., CHANNELS.index("fdi")]
    np.testing.assert_allclose(w.standards[0], s0 + v(p, "standards.rate") * (target - s0), rtol=1e-5)


def _inputs(w, rng) -> government.UtilityInputs:
    return government.UtilityInputs(
        flow=np.asarray(w.flow, dtype=np.float64),
        excused=rng.uniform(0, 0.02, (1, N_S, N_P, N_C)),
        blame=rng.uniform(0, 0.02, (1, N_S, N_P, N_C)),
        leverage=np.asarray(w.leverage, dtype=np.float64),
        withheld=np.asarray(w.withheld, dtype=np.float64),
        total=np.asarray(w.total, dtype=np.float64) + 1.0,
        opinion=rng.uniform(0.2, 0.8, (1, N_S, N_P)),
        threat=rng.uniform(0, 0.4, (1, N_S, N_P)),
        credibility=rng.uniform(0.3, 0.8, (1, N_S, N_P)),
        capability=rng.uniform(0.1, 0.9, (1, N_P)),
        care=rng.uniform(0.2, 1.0, (1, N_S, N_P)),
        conditionality=rng.uniform(0, 0.3, (1, N_P)),
        cooperation=np.asarray(w.cooperation, dtype=np.float64),
        guarantee_memory=rng.uniform(0, 0.5, (1, N_S, N_P)),
        log_gdp=rng.normal(0, 0.05, (1, N_S)),
        anchor=np.asarray(w.alignment0, dtype=np.float64),
    )


def test_utilities_of_the_powers_and_of_autonomy(p, rng):
    w = world(p, rng)
    x = _inputs(w, rng)
    u = government.utilities(x, p)[0]
    beta, trust = v(p, "flows.benefit_weight"), v(p, "flows.credibility_weight")
    rho = government.bandwagon(x, p)[0]
    opts = government.options(x, p)[0]
    gdp = v(p, "country.gdp") * np.exp(x.log_gdp[0])
    size = np.log10(gdp) - np.log10(gdp).mean()
    strength = x.capability[0] * (1 - v(p, "powers.capacity_drain"))
    resp = v(p, "alignment.responsiveness")
    for i in range(N_S):
        power = (strength * x.care[0, i]) ** v(p, "alignment.contest_exponent")
        whole = (beta * x.total[0, i]).sum()
        for q in range(N_P):
            perceived = x.flow[0, i, q] + x.excused[0, i, q]
            share_q = (beta * perceived).sum() / whole
            assert opts[i, q] == pytest.approx(1 - share_q, rel=1e-6)
            want_rho = (
                v(p, "alignment.bandwagon_base")
                - v(p, "alignment.bandwagon_options") * (1 - share_q)
                - v(p, "alignment.bandwagon_capacity") * size[i]
            )
            assert rho[i, q] == pytest.approx(np.clip(want_rho, -1, 1), rel=1e-5, abs=1e-6)
            want = (
                (beta * ((1 - trust + trust * x.credibility[0, i, q]) * perceived - x.blame[0, i, q])).sum()
                + v(p, "alignment.weight_contest") * power[q] / power.sum()
                + rho[i, q] * (x.leverage[0, i, q] + v(p, "exposure.weaponised_multiplier") * x.withheld[0, i, q]).sum()
                + v(p, "alignment.weight_opinion") * resp[i] * x.opinion[0, i, q]
                + v(p, "alignment.weight_guarantee") * x.guarantee_memory[0, i, q]
                - v(p, "alignment.weight_conditionality") * x.conditionality[0, q] * (1 - resp[i])
                - v(p, "alignment.weight_threat") * x.threat[0, i, q]
            )
            assert u[i, q] == pytest.approx(want, rel=1e-4, abs=1e-5)
        stake = (x.leverage[0, i] + x.withheld[0, i]).sum(axis=1)
        shares = (beta * (x.flow[0, i] + x.excused[0, i])).sum(axis=1) / whole
        want_auto = (
            v(p, "alignment.weight_cooperation") * x.cooperation[0, i].sum() / (N_S - 1)
            + v(p, "alignment.weight_insurance") * (x.threat[0, i] * stake * np.clip(opts[i], 0, 1)).sum()
            + v(p, "alignment.weight_diversification") * (1 - (shares**2).sum())
        )
        assert u[i, N_P] == pytest.approx(want_auto, rel=1e-4, abs=1e-5)


def test_hedging_target_and_the_alignment_update(p, rng):
    w = world(p, rng)
    utility = rng.normal(0, 0.3, (1, N_S, N_P + 1))
    w.bias = rng.normal(0, 0.5, w.bias.shape).astype(np.float32)
    target = government.hedging_target(w, p, utility)
    lam = v(p, "alignment.hedging")
    z = np.exp(lam[:, None] * utility[0] + w.bias[0])
    np.testing.assert_allclose(target[0], z / z.sum(-1, keepdims=True), rtol=1e-5)
    a0 = np.array(w.alignment[0], dtype=np.float64)
    anchor = np.asarray(w.alignment0, dtype=np.float64)
    cooperation = np.asarray(w.cooperation, dtype=np.float64)
    peers = government.peer_shift(w, p, cooperation)[0]
    shock = np.zeros((1, N_S, N_P + 1))
    government.update_alignment(w, p, target, anchor, cooperation, shock)
    shifted = np.maximum(target[0] + v(p, "alignment.peer_weight") * peers, 0)
    shifted /= shifted.sum(-1, keepdims=True)
    psi, alpha = v(p, "alignment.anchor_weight"), v(p, "alignment.adjustment")
    want = psi * anchor[0] + (1 - psi) * ((1 - alpha) * a0 + alpha * shifted)
    np.testing.assert_allclose(w.alignment[0], want / want.sum(-1, keepdims=True), rtol=1e-5)


def test_effort_where_powers_lose_ground(p, rng):
    w = world(p, rng)
    e = powers.effort(w, p)[0]
    a0, a = np.asarray(w.alignment0[0])[:, :N_P], np.asarray(w.alignment[0])[:, :N_P]
    loss = np.maximum(a0 - a, 0) / np.maximum(a0, 1e-6)
    want = 1 + v(p, "powers.reinvestment")[None, :, None] * v(p, "powers.allocation")[None] * loss[..., None]
    np.testing.assert_allclose(e, want, rtol=1e-5)
