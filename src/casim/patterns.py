"""How each stylized fact is measured on the runs of a check (:mod:`casim.facts` declares them).

Every function takes the paired runs, ``{scenario name: dataset with case = baseline,
scenario}``, and returns per-member values ``(member,)`` or ``(member, k)`` (NaN where the
fact does not apply). Helpers turn paired runs into changes against the baseline, relative
changes and regional shares.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

Runs = dict[str, xr.Dataset]  # scenario name -> paired dataset (case = baseline, scenario)


def base(runs: Runs) -> xr.Dataset:
    """The baseline case (every paired run carries the same one)."""
    return next(iter(runs.values())).sel(case="baseline")


def change(runs: Runs, scenario: str, variable: str) -> xr.DataArray:
    """Scenario minus baseline, member by member, for one episode."""
    da = runs[scenario][variable]
    return da.sel(case="scenario") - da.sel(case="baseline")


def ratio(runs: Runs, scenario: str, variable: str) -> xr.DataArray:
    """Scenario over baseline, member by member, for one episode."""
    da = runs[scenario][variable]
    return da.sel(case="scenario") / da.sel(case="baseline")


def decade(ds: xr.Dataset, variable: str) -> xr.DataArray:
    """Change of a baseline variable over the run (last quarter minus the first)."""
    da = ds[variable]
    return da.isel(quarter=-1) - da.isel(quarter=0)


def shares(ds: xr.Dataset, channel: str) -> xr.DataArray:
    """Each power's share of a channel, partners outside the model included (member, quarter, state, power)."""
    return ds.flow.sel(channel=channel) / ds.salience.sel(channel=channel)


def regional_share(ds: xr.Dataset, channel: str, power: str, weights: str = "gdp") -> xr.DataArray:
    """A power's share of the region's flows in a channel (all partners included).

    Flows of money are fractions of each state's GDP, so they are weighted by the GDP of the
    country table (002) to add up across states; index channels (security, education) by
    population.
    """
    w = GDP if weights == "gdp" else POPULATION
    weight = xr.DataArray(w, dims="state", coords={"state": ds.state})
    own = (ds.flow.sel(channel=channel, power=power) * weight).sum("state")
    return own / (ds.salience.sel(channel=channel) * weight).sum("state")


def per_member(da: xr.DataArray) -> np.ndarray:
    """``(member, k)`` values: the member axis first, every other axis flattened."""
    return np.asarray(da.transpose("member", ...).values, dtype=float).reshape(da.sizes["member"], -1)


#: GDP (bn USD) and population (million) of the country table (002), to weight regional aggregates.
GDP = np.array([288.0, 17.0, 14.0, 64.0, 115.0])
POPULATION = np.array([20.6, 7.2, 10.6, 7.5, 36.4])
MIGRANT_STATES = ["Tajikistan", "Kyrgyzstan", "Uzbekistan"]
#: The replays of documented episodes (scenarios/episodes/) and the library scenarios that
#: replay one (ruble_crisis: 2014-15; csto_crisis: January 2022).
CROCUS = "episodes/crocus_backlash_2024"
KZ2022 = "episodes/kazakhstan_2022"
#: Quarters of the episodes (every scenario starts in 2026Q1).
CRACKDOWN = slice(1, 13)  # 2026Q2 to 2029Q1: the backlash and a year after
BACKLASH_AT = 6  # 2027Q3: a year and a half into the backlash
OUTAGES = slice(1, 13)  # 2026Q2 to 2029Q1: the war years and a year after
AFTER_OUTAGES = 12  # 2029Q1: two years after the second outage
CRISIS = slice(2, 13)  # 2026Q3 to 2029Q1
RUBLE = slice(2, 15)  # 2026Q3 to 2029Q3: the fall and the two years it lasts


# --------------------------------------------------------------------------- metrics


def russia_alignment(runs: Runs) -> np.ndarray:
    return per_member(decade(base(runs), "alignment").sel(pole="Russia").mean("state"))


def largest_patron(runs: Runs) -> np.ndarray:
    last = base(runs).alignment.isel(quarter=-1).drop_sel(pole="autonomy")
    return per_member(last.max("pole"))


def soft(power: str) -> Callable[[Runs], np.ndarray]:
    return lambda runs: per_member(decade(base(runs), "soft_power").sel(power=power))


def russia_over_us(runs: Runs) -> np.ndarray:
    fav = base(runs).favourability.isel(quarter=-1)
    return per_member(fav.sel(power="Russia") - fav.sel(power="US"))


def regional_rise(channel: str, power: str, weights: str) -> Callable[[Runs], np.ndarray]:
    def metric(runs: Runs) -> np.ndarray:
        share = regional_share(base(runs), channel, power, weights)
        return per_member(share.isel(quarter=-1) - share.isel(quarter=0))

    return metric


def hard(power: str) -> Callable[[Runs], np.ndarray]:
    return lambda runs: per_member(decade(base(runs), "hard_power").sel(power=power))


def ruble_tajik(runs: Runs) -> np.ndarray:
    fall = ratio(runs, "ruble_crisis", "remittances_usd").sel(state="Tajikistan").isel(quarter=RUBLE) - 1.0
    return per_member(fall.min("quarter"))


def ruble_uzbek_relative(runs: Runs) -> np.ndarray:
    fall = 1.0 - ratio(runs, "ruble_crisis", "remittances_usd").isel(quarter=RUBLE).min("quarter")
    return per_member(fall.sel(state="Uzbekistan") / fall.sel(state="Tajikistan"))


def ruble_no_rupture(runs: Runs) -> np.ndarray:
    move = change(runs, "ruble_crisis", "alignment").sel(pole="Russia", state=["Tajikistan", "Kyrgyzstan"])
    move = move.isel(quarter=RUBLE)
    return per_member(xr.concat([move.min("quarter"), move.max("quarter")], dim="side"))


def cpc_hedge(runs: Runs) -> np.ndarray:
    move = change(runs, KZ2022, "alignment").sel(state="Kazakhstan").isel(quarter=OUTAGES)
    return per_member(-move.sel(pole="Russia").min("quarter"))


def neutral_share(runs: Runs, scenario: str, state: str, window: slice) -> xr.DataArray:
    """Share of the largest loss of a state's alignment toward Russia that went to autonomy."""
    move = change(runs, scenario, "alignment").sel(state=state).isel(quarter=window)
    at = move.sel(pole="Russia").argmin("quarter")
    return move.sel(pole="autonomy").isel(quarter=at) / -move.sel(pole="Russia").isel(quarter=at)


def kz_neutral(runs: Runs) -> np.ndarray:
    return per_member(neutral_share(runs, KZ2022, "Kazakhstan", OUTAGES))


def kz_over_dependent(runs: Runs) -> np.ndarray:
    kz = neutral_share(runs, KZ2022, "Kazakhstan", OUTAGES)
    dependent = xr.concat(
        [neutral_share(runs, CROCUS, state, CRACKDOWN) for state in ("Tajikistan", "Kyrgyzstan")],
        dim="state",
        coords="minimal",
        compat="override",
    )
    return per_member(kz - dependent)


def dependence_restrains(runs: Runs) -> np.ndarray:
    rel = ratio(runs, "remittance_shock", "alignment").sel(pole="Russia").isel(quarter=CRACKDOWN).min("quarter")
    weight = runs["remittance_shock"].remittances.sel(case="baseline").isel(quarter=0)
    per_dependence = (1.0 - rel) / weight
    return per_member(per_dependence.sel(state="Tajikistan") / per_dependence.sel(state="Uzbekistan"))


def cpc_diversification(runs: Runs) -> np.ndarray:
    div = change(runs, KZ2022, "diversification").sel(state="Kazakhstan", channel="energy")
    return per_member(div.isel(quarter=AFTER_OUTAGES))


def crackdown_favourability(runs: Runs) -> np.ndarray:
    fav = change(runs, CROCUS, "favourability").sel(power="Russia", state=MIGRANT_STATES)
    return per_member(fav.isel(quarter=BACKLASH_AT))


def crackdown_migrants(runs: Runs) -> np.ndarray:
    seg = change(runs, CROCUS, "segment_favourability").sel(power="Russia", state=MIGRANT_STATES)
    everyone = change(runs, CROCUS, "favourability").sel(power="Russia", state=MIGRANT_STATES)
    at = seg.sel(segment="migrant_household").isel(quarter=BACKLASH_AT)
    return per_member(at / everyone.isel(quarter=BACKLASH_AT))


def crackdown_dip(runs: Runs) -> np.ndarray:
    rel = ratio(runs, CROCUS, "alignment").sel(pole="Russia", state=MIGRANT_STATES)
    return per_member(1.0 - rel.isel(quarter=CRACKDOWN).min("quarter"))


def crackdown_hard_over_soft(runs: Runs) -> np.ndarray:
    """Relative fall of alignment toward Russia over the relative fall of favourability (Tajikistan)."""
    fav = 1.0 - ratio(runs, CROCUS, "favourability").sel(power="Russia", state="Tajikistan")
    align = 1.0 - ratio(runs, CROCUS, "alignment").sel(pole="Russia", state="Tajikistan")
    return per_member(align.isel(quarter=BACKLASH_AT) / fav.isel(quarter=BACKLASH_AT))


def guaranteed(runs: Runs) -> xr.DataArray:
    """Kazakhstan's guarantees during the crisis, ``(member, power)``: 1 where a power guaranteed."""
    return runs["csto_crisis"].guarantee.sel(case="scenario", state="Kazakhstan").isel(quarter=CRISIS).max("quarter")


def guarantor(runs: Runs) -> np.ndarray:
    g = guaranteed(runs)
    return per_member(g.sel(power="Russia").where(g.max("power") > 0))


def gratitude(runs: Runs) -> np.ndarray:
    move = change(runs, "csto_crisis", "alignment").sel(state="Kazakhstan", pole="Russia")
    by_russia = guaranteed(runs).sel(power="Russia") > 0
    return per_member(move.isel(quarter=CRISIS).max("quarter").where(by_russia))


def gratitude_fades(runs: Runs) -> np.ndarray:
    move = change(runs, "csto_crisis", "alignment").sel(state="Kazakhstan", pole="Russia")
    return per_member(move.isel(quarter=22))


def crisis_recovery(runs: Runs) -> np.ndarray:
    """Kazakhstan's regime stability two years after the crisis began, above its lowest point in the crisis."""
    stability = runs["csto_crisis"].regime_stability.sel(case="scenario", state="Kazakhstan")
    return per_member(stability.isel(quarter=10) - stability.isel(quarter=slice(2, 6)).min("quarter"))
