"""Citizens: array-backed agents, their segments, their network and their aggregates."""

from __future__ import annotations

import numpy as np
import pytest

from casim import rng
from casim.citizens import TYPE_BITS, Citizens
from casim.names import SEGMENTS


@pytest.fixture(scope="module")
def population(params):
    members = list(range(30))
    arrays = params.resolve(members, seed=3)
    return Citizens(arrays, *rng.citizen_draws(3, members, 5, 500, 4, 5)), arrays


def _direct_means(c: Citizens) -> tuple[np.ndarray, np.ndarray]:
    f = c.favourability.astype(np.float64)
    flags = c.segments.astype(bool)  # (n, i, g, C)
    overall = f.mean(axis=-1)
    by_segment = np.full((*overall.shape, len(SEGMENTS)), np.nan)
    for g in range(len(SEGMENTS)):
        mask = flags[:, :, g][:, :, None, :]
        count = mask.sum(axis=-1)
        with np.errstate(invalid="ignore"):
            by_segment[..., g] = np.where(count > 0, (f * mask).sum(axis=-1) / np.maximum(count, 1), np.nan)
    return overall, by_segment


def test_aggregates_equal_a_direct_computation(population):
    c, arrays = population
    overall, by_segment = _direct_means(c)
    np.testing.assert_allclose(c.opinion(), overall, atol=2e-5)
    np.testing.assert_allclose(c.segment_opinion(), by_segment, atol=2e-5, equal_nan=True)
    signals = np.random.default_rng(0).normal(0, 0.2, (30, 5, 5, 5)).astype(np.float32)
    c.update(signals, arrays["citizens.adaptation"], arrays["citizens.peer_weight"])
    overall, by_segment = _direct_means(c)
    np.testing.assert_allclose(c.opinion(), overall, atol=2e-5)
    np.testing.assert_allclose(c.segment_opinion(), by_segment, atol=2e-5, equal_nan=True)


def test_segment_shares_follow_the_parameters(population, params):
    c, _ = population
    observed = c.segments.mean(axis=(0, 3))  # (i, g)
    np.testing.assert_allclose(observed, params.value("citizens.segment_share"), atol=0.03)


def test_citizens_are_ordered_by_type_with_settlement_outermost(population):
    c, _ = population
    assert (np.diff(c.kind, axis=-1) >= 0).all(), "each row is sorted by type index"
    rural = c.segments[:, :, SEGMENTS.index("rural")]
    assert (np.diff(rural, axis=-1) >= 0).all(), "urban citizens first, then rural: settlement is outermost"
    bits = TYPE_BITS[:, c.kind]  # (g, n, i, C)
    np.testing.assert_array_equal(np.moveaxis(bits, 0, 2), c.segments)


def test_mean_predisposition_matches_declared_favourability(params):
    members = list(range(200))
    arrays = params.resolve(members, seed=5)
    c = Citizens(arrays, *rng.citizen_draws(5, members, 5, 500, 4, 5))
    np.testing.assert_allclose(c.opinion().mean(axis=0), params.value("citizens.favourability"), atol=0.02)


def test_update_moves_toward_the_drive_and_stays_in_bounds(population):
    c, arrays = population
    before = c.opinion().copy()
    push = np.zeros((30, 5, 5, 5), np.float32)
    push[..., 0] = 0.5  # everyone feels a strong positive signal toward every power
    for _ in range(8):
        c.update(push, arrays["citizens.adaptation"], arrays["citizens.peer_weight"])
    assert (c.opinion() > before).all()
    assert c.favourability.min() >= 0 and c.favourability.max() <= 1


def test_a_segment_signal_moves_only_that_segment(params):
    members = list(range(10))
    arrays = params.resolve(members, seed=2)
    c = Citizens(arrays, *rng.citizen_draws(2, members, 5, 500, 4, 5))
    base = Citizens(arrays, *rng.citizen_draws(2, members, 5, 500, 4, 5))
    signals = np.zeros((10, 5, 5, 5), np.float32)
    migrant = SEGMENTS.index("migrant_household")
    signals[..., 1 + migrant] = -0.4
    zero = np.zeros_like(signals)
    c.update(signals, arrays["citizens.adaptation"], np.zeros(1, np.float32))
    base.update(zero, arrays["citizens.adaptation"], np.zeros(1, np.float32))
    moved = (c.favourability != base.favourability).any(axis=2)  # (n, i, C)
    in_segment = c.segments[:, :, migrant].astype(bool)
    assert moved[in_segment].all() and not moved[~in_segment].any()
