"""Every figure casim draws, against a stored baseline image (pytest-mpl), plus the properties
that made them readable (a shared scale, shaded events, few year labels, visible paths).

The baselines live in ``tests/baseline/``. After a deliberate change to a figure, look at
the new images and store them::

    pytest tests/test_figures.py --mpl-generate-path=tests/baseline

A failing comparison writes the image, the baseline and their difference to
``--mpl-results-path`` (default: a temporary folder named in the failure).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from casim import plots, plots_compare, plots_play
from casim.experiment import run_experiment
from casim.names import STATES
from casim.scenario import load_scenario
from helpers import LIBRARY

pytestmark = pytest.mark.xdist_group("figures")

#: Figures are compared at a low resolution: enough to see a changed line, legend or scale.
COMPARE = {"baseline_dir": "baseline", "tolerance": 3, "savefig_kwargs": {"dpi": 50}, "style": "default"}


def small(name: str, members: int = 6, horizon: int = 16):
    return load_scenario(LIBRARY / f"{name}.yaml").resolved(members=members, horizon=horizon)


@pytest.fixture(scope="module")
def paired():
    return run_experiment(small("remittance_shock"), executor="serial").paired


@pytest.fixture(scope="module")
def comparison():
    from casim.compare import gather

    return gather([LIBRARY / "remittance_shock.yaml", LIBRARY / "cpc_disruption.yaml"], members=6)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.mpl_image_compare(**COMPARE)
def test_alignment_figure(paired):
    fig = plots.alignment_figure(paired)
    assert any(t.get_text() == "events act" for t in fig.legends[0].get_texts())
    return fig


@pytest.mark.mpl_image_compare(**COMPARE)
def test_difference_figure_shares_one_scale_and_shades_the_events(paired):
    fig = plots.difference_figure(paired)
    states = fig.axes[:5]
    assert len({ax.get_ylim() for ax in states}) == 1, "every state panel on the same scale"
    for ax in states:  # the crackdown's quarters (2026Q1 to 2029Q1) are shaded
        spans = [p for p in ax.patches if p.get_width() > 0 and p.get_facecolor()[:3] != (1, 1, 1)]
        assert any(abs(p.get_x() - 2026.0) < 1e-9 and abs(p.get_x() + p.get_width() - 2029.0) < 1e-9 for p in spans)
    return fig


@pytest.mark.mpl_image_compare(**COMPARE)
def test_economy_figure_levels_above_changes(paired):
    fig = plots.economy_figure(paired)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["GDP (medians)", "Remittances (medians)", "Regime stability (medians)"]
    assert all("change versus baseline" in t for t in titles[3:6])
    stability = fig.axes[2]
    assert len(stability.collections) == 0, "no overlapping bands in the levels of stability"
    return fig


@pytest.mark.mpl_image_compare(**COMPARE)
def test_ternary_figure_zooms_on_the_paths(paired):
    fig = plots.ternary_figure(paired)
    ax = fig.axes[0]
    width = np.diff(ax.get_xlim())[0]
    assert width < 0.6, "zoomed in on the states, not the whole triangle"
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == len(STATES)
    for arrow in arrows:  # long enough to see at A4 (in the axes' units: more than 1 % of the view)
        (x0, y0), (x1, y1) = arrow.xyann, arrow.xy
        assert np.hypot(x1 - x0, y1 - y0) > 0.01 * width
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "band" not in legend and "members at the end" in legend  # promises only what is drawn
    return fig


@pytest.mark.mpl_image_compare(**COMPARE)
def test_compare_state_figure(comparison):
    return plots_compare.compare_state_figure(comparison, "Kazakhstan")


@pytest.mark.mpl_image_compare(**COMPARE)
def test_compare_difference_figure_has_readable_years(comparison):
    fig = plots_compare.compare_difference_figure(comparison)
    bottom = fig.axes[-1]
    labels = [t.get_text() for t in bottom.get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= 4 and all(label.isdigit() for label in labels)
    return fig


@pytest.fixture(scope="module")
def explanation():
    from casim.explain import explain

    return explain(small("cpc_disruption", members=4, horizon=12), members=4)


@pytest.mark.mpl_image_compare(**COMPARE)
def test_explain_figure(explanation):
    return plots_compare.explain_figure(explanation, "Kazakhstan")


@pytest.fixture(scope="module")
def session():
    from casim.play import PlaySession

    s = PlaySession.start(small("remittance_shock", horizon=8), teams=2, turns=2, members=6)
    s.submit("Russia", {"effort": {"Tajikistan": {"security": 3}}})
    s.advance()
    s.advance()
    return s


@pytest.mark.mpl_image_compare(**COMPARE)
def test_play_session_figure(session):
    alignment = session.run()
    return plots_play.session_figure(alignment, list(session.powers), 8, scenario="remittance_shock", seed=1)


@pytest.mark.mpl_image_compare(**COMPARE)
def test_play_attribution_figure(session):
    from casim.play import debrief

    result = debrief(session)
    return plots_play.attribution_figure(result.by_channel, list(session.powers), scenario="x", members=6, seed=1)
