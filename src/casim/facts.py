"""Stylized facts from the sources that the model must reproduce (pattern-oriented validation).

Each :class:`Fact` states a pattern, cites where it comes from, names the runs it needs
and computes, for every member, a *metric* and whether the fact *holds*. ``casim check``
(:mod:`casim.check`) runs the baseline and the scenarios the facts need, with every
member drawing its parameters from their documented ranges, and reports the share of
members in which each fact holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

Runs = dict[str, xr.Dataset]  # scenario name -> paired dataset (case = baseline, scenario)


@dataclass(frozen=True)
class Fact:
    """A pattern the model must reproduce.

    Attributes:
        id: Short identifier.
        statement: The pattern in words.
        source: Where it comes from (seed file and section, or research-notes fact).
        target: What the metric must satisfy, in words.
        unit: Unit of the metric.
        needs: Library scenarios whose runs the fact reads (the baseline comes with each).
        metric: Per-member value of the metric, from the runs.
        holds: Whether the fact holds, per member, given the metric.
        required: Share of members in which it must hold for the check to pass.
    """

    id: str
    statement: str
    source: str
    target: str
    unit: str
    needs: tuple[str, ...]
    metric: Callable[[Runs], np.ndarray]
    holds: Callable[[np.ndarray], np.ndarray]
    required: float = 0.9


def base(runs: Runs) -> xr.Dataset:
    """The baseline case (every paired run carries the same one)."""
    return next(iter(runs.values())).sel(case="baseline")


def _first(ds: xr.Dataset) -> xr.Dataset:
    return ds.isel(quarter=0)


def _last(ds: xr.Dataset) -> xr.Dataset:
    return ds.isel(quarter=-1)


def shares(ds: xr.Dataset, channel: str) -> xr.DataArray:
    """Each power's share of a channel, partners outside the model included (member, state, power)."""
    return ds.flow.sel(channel=channel) / ds.salience.sel(channel=channel)


def lead(da: xr.DataArray, leader: str, dim: str = "power") -> xr.DataArray:
    """How far ``leader`` is ahead of the next on ``dim`` (positive: it leads)."""
    return da.sel({dim: leader}) - da.drop_sel({dim: leader}).max(dim)


def regional_share(ds: xr.Dataset, channel: str, power: str) -> xr.DataArray:
    """A power's share of the region's flows in a channel (all partners included).

    Flows are fractions of each state's GDP, so they are weighted by the GDP of the
    country table (002) to add up across states.
    """
    gdp = xr.DataArray(np.array([288.0, 17.0, 14.0, 64.0, 115.0]), dims="state", coords={"state": ds.state})
    own = (ds.flow.sel(channel=channel, power=power) * gdp).sum("state")
    return own / (ds.salience.sel(channel=channel) * gdp).sum("state")


def between(low: float, high: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda v: (v >= low) & (v <= high)


def positive(v: np.ndarray) -> np.ndarray:
    return v > 0


def negative(v: np.ndarray) -> np.ndarray:
    return v < 0


def _values(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da.transpose("member", ...).values).reshape(da.sizes["member"], -1).min(axis=1)


SECURITY_STATES = ["Kazakhstan", "Kyrgyzstan", "Tajikistan"]
MIGRANT_STATES = ["Tajikistan", "Kyrgyzstan", "Uzbekistan"]
OTHER_STATES = ["Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"]


def _security_lead(runs: Runs) -> np.ndarray:
    b = base(runs)
    both = xr.concat([_first(b), _last(b)], dim="moment")
    return _values(lead(shares(both, "security").sel(state=SECURITY_STATES), "Russia"))


def _turkmen(runs: Runs) -> np.ndarray:
    b = base(runs)
    a = xr.concat([_first(b), _last(b)], dim="moment").alignment.sel(state="Turkmenistan")
    autonomy = lead(a, "autonomy", "pole")
    china = lead(a.drop_sel(pole="autonomy"), "China", "pole")
    return _values(np.minimum(autonomy, china))


def _soft(power: str) -> Callable[[Runs], np.ndarray]:
    return lambda runs: (_last(base(runs)).soft_power - _first(base(runs)).soft_power).sel(power=power).values


def _hard_russia_steady(runs: Runs) -> np.ndarray:
    b = base(runs)
    change = np.abs((_last(b).hard_power - _first(b).hard_power).sel(power="Russia").values)
    still_first = lead(_last(b).hard_power, "Russia").values > 0
    return np.where(still_first, change, np.inf)


def _crackdown_favourability(runs: Runs) -> np.ndarray:
    r = runs["remittance_shock"].favourability.sel(power="Russia", state=MIGRANT_STATES).isel(quarter=8)
    return (r.sel(case="scenario") - r.sel(case="baseline")).max("state").values


def _crackdown_alignment(runs: Runs) -> np.ndarray:
    a = runs["remittance_shock"].alignment.sel(pole="Russia", state=MIGRANT_STATES).isel(quarter=slice(1, None))
    ratio = a.sel(case="scenario") / a.sel(case="baseline")
    return ratio.min(("state", "quarter")).values


def _guarantor(runs: Runs) -> np.ndarray:
    g = runs["csto_crisis"].guarantee.sel(case="scenario", state="Kazakhstan").max("quarter")  # (member, power)
    guaranteed = g.max("power").values > 0
    by_russia = g.sel(power="Russia").values > 0
    return np.where(guaranteed, by_russia.astype(float), np.nan)


FACTS: tuple[Fact, ...] = (
    Fact(
        "security_russia",
        "Russia is the leading security partner of Kazakhstan, Kyrgyzstan and Tajikistan, at "
        "the start and ten years on",
        "002 Russia section (arms, training, officer education, bases, CSTO); notes "
        "§6 #10 (Russia 88 % of Kazakh arms imports 2020-24)",
        "Russia's share of security ties above every other power's (lead > 0)",
        "share",
        (),
        _security_lead,
        positive,
    ),
    Fact(
        "turkmen_autonomy",
        "Turkmenistan is mostly autonomous (neutral), with China its leading power",
        "002 country table text and Chinese influence (state revenue from gas to China); notes §6 #7, #14",
        "autonomy its largest pole and China its leading power, at the start and ten years on (lead > 0)",
        "share",
        (),
        _turkmen,
        positive,
    ),
    Fact(
        "turkmen_gas_china",
        "China takes most of Turkmenistan's gas exports",
        "002 Chinese influence (over 70 % of Turkmen gas exports); notes §6 #7 (about 40 of 50 bcm)",
        "China's share of Turkmen energy flows above 0.70",
        "share",
        (),
        lambda r: shares(_first(base(r)), "energy").sel(state="Turkmenistan", power="China").values,
        lambda v: v > 0.70,
    ),
    Fact(
        "eu_leading_investor",
        "The EU is the region's largest foreign investor, with over 40 % of FDI",
        "002 Chinese influence (EU over 40 % of all FDI); notes §6 #9 [23]",
        "EU share of the region's FDI inflows above 0.40",
        "share",
        (),
        lambda r: regional_share(_first(base(r)), "fdi", "EU").values,
        lambda v: v > 0.40,
    ),
    Fact(
        "eu_trade_kazakhstan",
        "The EU is Kazakhstan's largest trading partner",
        "002 Kazakhstan section; notes §6 #9 (about 30 % of Kazakh trade)",
        "EU's share of Kazakh trade above every other power's (lead > 0)",
        "share",
        (),
        lambda r: lead(shares(_first(base(r)), "trade").sel(state="Kazakhstan"), "EU").values,
        positive,
    ),
    Fact(
        "china_trade_others",
        "China is the largest trading partner of every other Central Asian state",
        "002 Chinese influence (China the largest trading partner of all but Kazakhstan)",
        "China's share of trade "
        "above every other power's in Kyrgyzstan, Tajikistan, Turkmenistan and Uzbekistan (lead > 0)",
        "share",
        (),
        lambda r: _values(lead(shares(_first(base(r)), "trade").sel(state=OTHER_STATES), "China")),
        positive,
    ),
    Fact(
        "china_trade_region",
        "China accounts for about a quarter of Central Asia's trade",
        "notes §6 #8 (Eurasian Development Bank: 17.7 % in 2020, 24.1 % in 2024) [22]",
        "China's share of the region's trade between 0.20 and 0.30",
        "share",
        (),
        lambda r: regional_share(_first(base(r)), "trade", "China").values,
        between(0.20, 0.30),
    ),
    Fact(
        "remittances_tajikistan",
        "Remittances are about half of Tajik GDP",
        "notes §6 #1 (World Bank 2024: 45 %) [18]; 002 Russia section (roughly half)",
        "between 0.45 and 0.51 of GDP at the start",
        "fraction of GDP",
        (),
        lambda r: _first(base(r)).remittances.sel(state="Tajikistan").values,
        between(0.45, 0.51),
        1.0,
    ),
    Fact(
        "remittances_kyrgyzstan",
        "Remittances are about a quarter of Kyrgyz GDP",
        "notes §6 #1 (World Bank 2024: 24 %) [18]",
        "between 0.22 and 0.26 of GDP at the start",
        "fraction of GDP",
        (),
        lambda r: _first(base(r)).remittances.sel(state="Kyrgyzstan").values,
        between(0.22, 0.26),
        1.0,
    ),
    Fact(
        "remittances_uzbekistan",
        "Remittances are about a seventh of Uzbek GDP",
        "notes §6 #1 (World Bank 2024: 14 %) [18]",
        "between 0.12 and 0.16 of GDP at the start",
        "fraction of GDP",
        (),
        lambda r: _first(base(r)).remittances.sel(state="Uzbekistan").values,
        between(0.12, 0.16),
        1.0,
    ),
    Fact(
        "cpc_route",
        "Most Kazakh oil exports leave through the CPC pipeline across Russia",
        "002 Russia section (80 % of Kazakh oil exports); notes §6 #6 (two thirds to 80 %) [20]",
        "Russia's route share of Kazakh energy flows between 0.66 and 0.86",
        "share",
        (),
        lambda r: shares(_first(base(r)), "energy").sel(state="Kazakhstan", power="Russia").values,
        between(0.66, 0.86),
    ),
    Fact(
        "russia_arms_region",
        "Russia provides about three fifths of the region's security ties",
        "notes §6 #10 (SIPRI: Russia 62 % of Central Asian arms imports 2015-19) [25]",
        "Russia's population-weighted share of security ties between 0.50 and 0.75 at the start",
        "share",
        (),
        lambda r: _first(base(r)).hard_power.sel(power="Russia").values,
        between(0.50, 0.75),
    ),
    Fact(
        "soft_russia_down",
        "Russia's soft power drifts down over the decade",
        "002 Matrix of power (Russia: soft power high, going down); 002 Russia section",
        "regional favourability toward Russia lower after ten years",
        "favourability",
        (),
        _soft("Russia"),
        negative,
    ),
    Fact(
        "soft_eu_down",
        "The EU's soft power drifts down over the decade",
        "002 Matrix of power (EU: soft power high, going down); 002 Areas of engagement (pragmatic turn)",
        "regional favourability toward the EU lower after ten years",
        "favourability",
        (),
        _soft("EU"),
        negative,
    ),
    Fact(
        "soft_china_up",
        "China's soft power rises over the decade",
        "002 Matrix of power (China: soft power low, going up); 002 Chinese influence",
        "regional favourability toward China higher after ten years",
        "favourability",
        (),
        _soft("China"),
        positive,
    ),
    Fact(
        "hard_russia_steady",
        "Russia's hard power holds steady and stays the greatest",
        "002 Matrix of power (Russia: hard power high, consistent)",
        "Russia still the leading security partner of the region after ten years, its share changed by less than 0.05",
        "share",
        (),
        _hard_russia_steady,
        lambda v: v < 0.05,
    ),
    Fact(
        "hard_china_up",
        "China's hard power rises",
        "002 Matrix of power (China: hard power low, going up); "
        "notes §6 #10 (China 1.5 % of arms imports 2010-14, 18 % 2015-19)",
        "China's share of security ties higher after ten years",
        "share",
        (),
        lambda r: (_last(base(r)).hard_power - _first(base(r)).hard_power).sel(power="China").values,
        positive,
    ),
    Fact(
        "no_single_patron",
        "No state ends up with a single patron: multivector policy persists",
        "002 Box 2 (multivector foreign policy); notes §6 #14",
        "every state's largest power share below 0.5 after ten years",
        "share",
        (),
        lambda r: _last(base(r)).alignment.drop_sel(pole="autonomy").max(("state", "pole")).values,
        lambda v: v < 0.5,
    ),
    Fact(
        "cooperation_rising",
        "Regional cooperation among the five deepens",
        "002 Regional cooperation (a 'golden age'; intra-regional trade doubled 2017-2024)",
        "mean cooperation higher after ten years",
        "index",
        (),
        lambda r: (_last(base(r)).regional_cooperation - _first(base(r)).regional_cooperation).values,
        positive,
    ),
    Fact(
        "favourability_russia_over_us",
        "Citizens view Russia more favourably than the United States",
        "notes §6 #12 (Gallup 2006-18: Russia 80 %, US 30 % approval) [27]",
        "favourability toward Russia above that toward the US in every state at the start",
        "favourability",
        (),
        lambda r: _values(
            _first(base(r)).favourability.sel(power="Russia") - _first(base(r)).favourability.sel(power="US")
        ),
        positive,
    ),
    Fact(
        "crackdown_favourability",
        "A Russian crackdown on migrants lowers favourability toward Russia in Tajikistan, Kyrgyzstan and Uzbekistan",
        "002 Russia section (the post-Crocus backlash eroded Russia's soft power)",
        "favourability toward Russia lower than in the baseline in all three, two years in",
        "favourability",
        ("remittance_shock",),
        _crackdown_favourability,
        negative,
    ),
    Fact(
        "crackdown_no_collapse",
        "A Russian crackdown on migrants does not collapse the alignment of Tajikistan, Kyrgyzstan and "
        "Uzbekistan toward Russia: hard leverage persists",
        "002 Russia section and Key findings (Russia remains the key political and security actor)",
        "alignment toward Russia never below 70 % of the baseline's in the three states",
        "ratio",
        ("remittance_shock",),
        _crackdown_alignment,
        lambda v: v > 0.7,
    ),
    Fact(
        "russia_guarantor",
        "Russia is the guarantor of regime stability in a crisis",
        "002 Russia section (CSTO intervention in Kazakhstan, January 2022); notes §6 #11",
        "when Kazakhstan's regime is guaranteed in a crisis, the guarantor is Russia",
        "1 = Russia",
        ("csto_crisis",),
        _guarantor,
        lambda v: v >= 1,
    ),
)
