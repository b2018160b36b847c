"""Stylized facts from the sources that the model must reproduce (pattern-oriented validation).

Each :class:`Fact` states a pattern, cites where it comes from, names the runs it needs and
computes, for every member, a *metric* that must lie between two bounds. Both bounds carry
a reason: the lower one rules out a model that does not respond (or responds the wrong
way), the upper one a model that overreacts. ``casim check`` (:mod:`casim.check`) runs the
baseline and the episodes the facts need, with every member drawing its parameters from
their documented ranges, and reports the share of members in which each fact holds.

No fact re-reads a start value (calibration fixes those): *decade* facts test the drift of
the baseline over ten years, *episode* facts the response to a documented event, replayed
by a library scenario against its paired baseline:

* the 2014-15 ruble collapse (``ruble_crisis``): remittances in dollars, no rupture;
* the 2022 CPC outages (``cpc_disruption``): Kazakhstan's hedge and its diversification;
* the 2024 crackdown on migrants (``remittance_shock``): opinion, migrant households, alignment;
* the January 2022 crisis in Kazakhstan (``csto_crisis``): the guarantor, gratitude, recovery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from casim import patterns as m
from casim.patterns import CROCUS, KZ2022, Runs

KINDS = ("decade", "episode")
#: Required share for facts that compare two uncertain responses (a ratio or a difference).
CONTRAST = 0.8


@dataclass(frozen=True)
class Fact:
    """A pattern the model must reproduce, with two-sided bounds.

    Attributes:
        id: Short identifier.
        statement: The pattern in words.
        source: Where it comes from (seed file and section, research-notes fact or reference,
            or an external citation).
        target: What the metric measures and its bounds, in words.
        unit: Unit of the metric.
        needs: Library scenarios whose paired runs the fact reads (the baseline comes with each).
        metric: Per-member values ``(member,)`` or ``(member, k)`` from the runs; NaN where the
            fact does not apply to a member.
        low, high: Bounds every value of a member must respect for the fact to hold there.
        reason: Why each bound is where it is.
        kind: ``decade`` (ten years of the baseline) or ``episode`` (response to an event).
        required: Share of applicable members in which it must hold for the check to pass: 90 %,
            or 80 % for a contrast or ratio of two responses (:data:`CONTRAST`), whose spread
            compounds the uncertainty of both.
    """

    id: str
    statement: str
    source: str
    target: str
    unit: str
    needs: tuple[str, ...]
    metric: Callable[[Runs], np.ndarray]
    low: float
    high: float
    reason: str
    kind: str = "episode"
    required: float = 0.9

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Per member: True where every value lies within the bounds (False where any is NaN)."""
        v = np.asarray(values, dtype=float).reshape(len(values), -1)
        with np.errstate(invalid="ignore"):
            inside = (v >= self.low) & (v <= self.high)
        return inside.all(axis=1)

    def applicable(self, values: np.ndarray) -> np.ndarray:
        """Per member: True where the fact applies (no NaN)."""
        v = np.asarray(values, dtype=float).reshape(len(values), -1)
        return np.isfinite(v).all(axis=1)


# --------------------------------------------------------------------------- the facts

FACTS: tuple[Fact, ...] = (
    # ---- the decade: ten years of the baseline
    Fact(
        "russia_alignment_erodes",
        "Russia slowly loses ground in the region without losing its place: the power balance shifts, "
        "it is not reshaped",
        "002 Key findings and Reality check (the war is not a game changer; Russia a declining power that "
        "remains the dominant political and military actor, gradually losing economic clout)",
        "mean change of the five states' alignment toward Russia over ten years, between -0.08 and -0.005",
        "share",
        (),
        m.russia_alignment,
        -0.08,
        -0.005,
        "lower: a loss of more than 0.08 (about a third of Russia's mean share) in a decade would reshape "
        "the balance the study says persists; upper: the study calls Russia a declining power, so a decade "
        "with no erosion at all contradicts it",
        "decade",
    ),
    Fact(
        "hard_russia_steady",
        "Russia's hard power in the region holds steady over the decade",
        "002 Matrix of power (Russia: hard power high, consistent)",
        "change of Russia's population-weighted share of the region's security ties over ten years, "
        "between -0.06 and +0.03",
        "share",
        (),
        m.hard("Russia"),
        -0.06,
        0.03,
        "'consistent': lower, a loss of more than 0.06 of its share (a tenth of it), and upper, a gain of "
        "more than 0.03, would each be a trend the study does not see",
        "decade",
    ),
    Fact(
        "hard_china_up",
        "China's hard power in the region rises",
        "002 Matrix of power (China: hard power low, going up); notes §6 #10 (China 1.5 % of Central Asian "
        "arms imports 2010-14, 18 % 2015-19) [25]",
        "change of China's population-weighted share of the region's security ties over ten years, "
        "between +0.005 and +0.15",
        "share",
        (),
        m.hard("China"),
        0.005,
        0.15,
        "lower: 'going up'; upper: even the fast rise of 2010-19 (about 16 points) came from a low base, "
        "and SIPRI's later figures put Russia back at 88 % of Kazakh imports",
        "decade",
    ),
    Fact(
        "china_trade_rises",
        "China's share of Central Asia's trade keeps rising",
        "notes §6 #8 (Eurasian Development Bank: 17.7 % in 2020, 24.1 % in 2024) [22]; 002 Chinese influence "
        "(China the largest trading partner of all but Kazakhstan, having surpassed Russia)",
        "change of China's GDP-weighted share of the region's trade over ten years, between +0.01 and +0.16",
        "share",
        (),
        m.regional_rise("trade", "China", "gdp"),
        0.01,
        0.16,
        "lower: the share rose 6.4 points in four years and the study sees China consolidating; upper: that "
        "pace (1.6 points a year) sustained for ten years",
        "decade",
    ),
    Fact(
        "china_education_rises",
        "China's place in education and vocational training rises (Luban workshops, Chinese standards)",
        "notes §6 #15 (Luban workshops in Tajikistan 2022, Kyrgyzstan 2024, all five states by 2025) [29]; "
        "002 Chinese influence ('China the trainer'; curricula on Chinese standards)",
        "change of China's population-weighted share of the region's education and training ties over ten "
        "years, between +0.02 and +0.15",
        "share",
        (),
        m.regional_rise("education", "China", "population"),
        0.02,
        0.15,
        "lower: workshops spread to all five states in three years, a visible rise; upper: Russian-language "
        "schools and European universities keep their pull (002 Russia section, Societal engagement), so "
        "China does not take most of a channel in a decade",
        "decade",
    ),
    Fact(
        "soft_russia_down",
        "Russia's soft power declines over the decade",
        "002 Matrix of power (Russia: soft power high, going down); 002 Russia section (much less attractive "
        "since 2022; sentiment otherwise relatively stable outside Kazakhstan)",
        "change of the region's population-weighted favourability toward Russia over ten years, between "
        "-0.15 and -0.01",
        "favourability",
        (),
        m.soft("Russia"),
        -0.15,
        -0.01,
        "lower: sentiment toward Russia stayed 'relatively stable' even after 2022, so a fall of more than "
        "0.15 in a decade is a collapse the study does not describe; upper: 'going down'",
        "decade",
    ),
    Fact(
        "soft_china_up",
        "China's soft power rises over the decade, against enduring Sinophobia",
        "002 Matrix of power (China: soft power low, going up); 002 Chinese influence (Chinese cars and "
        "platforms; enduring Sinophobia); 002 Kazakhstan section (Sinophobia, Xinjiang)",
        "change of the region's population-weighted favourability toward China over ten years, between +0.01 and +0.15",
        "favourability",
        (),
        m.soft("China"),
        0.01,
        0.15,
        "lower: 'going up'; upper: Sinophobia persists, so China does not win the region over in a decade",
        "decade",
    ),
    Fact(
        "soft_eu_down",
        "The EU's soft power drifts down over the decade",
        "002 Matrix of power (EU: soft power high, going down); 002 Areas of engagement (the pragmatic turn "
        "and perceived double standards weaken it; education and rule of law keep their appeal)",
        "change of the region's population-weighted favourability toward the EU over ten years, between "
        "-0.10 and -0.002",
        "favourability",
        (),
        m.soft("EU"),
        -0.10,
        -0.002,
        "lower: 'considerable normative appeal' remains, so no collapse; upper: 'going down'",
        "decade",
    ),
    Fact(
        "russia_over_us",
        "Citizens still view Russia more favourably than the United States ten years on",
        "notes §6 #12 (Gallup 2006-18: approval of Russia 80 %, of the US 30 %) [27]; 002 Matrix of power "
        "(Russian soft power still high)",
        "in every state, favourability toward Russia minus toward the US after ten years, between +0.02 and +0.65",
        "favourability",
        (),
        m.russia_over_us,
        0.02,
        0.65,
        "lower: Russia's soft power is declining from a high level, not overtaken; upper: a gap beyond "
        "Gallup's 50 points plus the model's spread would be more lopsided than any survey records",
        "decade",
    ),
    Fact(
        "no_single_patron",
        "Multivector policy persists: no state falls to a single patron, none cuts every patron loose",
        "002 Box 2 (multivector foreign policy, limited autonomy); notes §6 #14 (Uzbekistan left the CSTO, "
        "Turkmenistan neutral, Kazakhstan and Kyrgyzstan in the EAEU)",
        "every state's largest alignment share toward a power after ten years, between 0.15 and 0.5",
        "share",
        (),
        m.largest_patron,
        0.15,
        0.5,
        "upper: a share above one half would be a single patron; lower: even neutral Turkmenistan sells "
        "most of its gas to China (002), so every state keeps one major partner",
        "decade",
    ),
    Fact(
        "cooperation_deepens",
        "Regional cooperation among the five deepens, step by step",
        "002 Regional cooperation (a 'golden age'; intra-regional trade doubled 2017-2024; leaders prefer "
        "cautious incremental steps and avoid pooling sovereignty)",
        "change of mean cooperation over the ten pairs of states over ten years, between +0.03 and +0.30",
        "index",
        (),
        lambda runs: m.per_member(m.decade(m.base(runs), "regional_cooperation")),
        0.03,
        0.30,
        "lower: momentum for the first time in decades; upper: cooperation, not integration: no pooling "
        "of sovereignty within a decade",
        "decade",
    ),
    # ---- the 2014-15 ruble collapse
    Fact(
        "ruble_remittances",
        "When the ruble collapses, the dollars Tajik migrants send home from Russia collapse with it",
        "notes §4 and [19] (IMF REO October 2015: the ruble fell about 45 % against the dollar in 2014-15; "
        "Tajik remittances fell about 25 % in 2015); notes §3 E7 (short-run exchange-rate elasticity near 1) "
        "[21]",
        "Tajikistan's dollar remittances at their lowest during the crisis, against the baseline, between "
        "-55 % and -15 %",
        "relative change",
        ("ruble_crisis",),
        m.ruble_tajik,
        -0.55,
        -0.15,
        "upper (-15 %): the documented fall was about a quarter; a model where remittances follow only "
        "Russia's output (elasticity 1.5 to a 3 % recession) loses about 5 %; lower (-55 %): a short-run "
        "elasticity near 1 to a 45 % fall, plus the recession, is the most the episode allows",
    ),
    Fact(
        "ruble_uzbek_relative",
        "The ruble hits Uzbek remittances less than Tajik ones: fewer Uzbek migrants work in Russia",
        "notes §6 #2 (Russia sent 90 % or more of Tajik and Kyrgyz remittances; 57 % of Uzbek migrants work "
        "in Russia, 15 % in Kazakhstan) [18, 19, 21]",
        "Uzbekistan's relative fall in dollar remittances over Tajikistan's, between 0.4 and 0.9",
        "ratio",
        ("ruble_crisis",),
        m.ruble_uzbek_relative,
        0.4,
        0.9,
        "the ratio of Russia's shares is about 0.6 over 0.9, two thirds: lower, 0.4, and upper, 0.9, leave "
        "room for substitution and the recession, but beyond them the destinations would not matter as "
        "the figures say they do",
    ),
    Fact(
        "ruble_no_rupture",
        "A ruble crash does not turn Tajikistan or Kyrgyzstan from Russia: they stayed (Kyrgyzstan joined "
        "the EAEU in 2015)",
        "external: Treaty on Kyrgyzstan's accession to the Eurasian Economic Union, in force 12 August 2015; "
        "002 country table (Kyrgyzstan in the EAEU, both in the CSTO); 002 Russia section",
        "alignment of Tajikistan and Kyrgyzstan toward Russia against the baseline during the crisis, "
        "between -0.03 and +0.06 at every quarter",
        "share",
        ("ruble_crisis",),
        m.ruble_no_rupture,
        -0.03,
        0.06,
        "lower: governments look through a currency cycle nobody chose, so no visible turn away; upper: a "
        "crisis may bring the regime closer to its guarantor (as Kyrgyzstan's accession did), but by a "
        "few points, not a realignment",
    ),
    # ---- the 2022 CPC outages
    Fact(
        "cpc_hedge",
        "After Russia disrupts the CPC route, Kazakhstan hedges: it moves away from Russia without breaking",
        "notes §6 #6 and #11 (2022 CPC disruptions; Kazakhstan refused to recognise the DPR/LPR) [20, 26]; "
        "001 (Tokayev's refusal in Putin's presence); 002 Reality check (calibrated caution, distance without "
        "turning their backs)",
        "largest fall of Kazakhstan's alignment toward Russia against the baseline during and a year after "
        "the outage, between 0.005 and 0.06",
        "share",
        (KZ2022,),
        m.cpc_hedge,
        0.005,
        0.06,
        "lower: a visible distancing after 2022; upper: Kazakhstan did not turn its back on its ally, so "
        "no loss beyond a quarter of Russia's share",
    ),
    Fact(
        "kz_hedge_is_neutrality",
        "Kazakhstan's hedge is neutrality: what it takes from Russia goes mostly to its own room for "
        "manoeuvre, not to a rival patron",
        "002 Kazakhstan section (resists being drawn into Russia's agenda; positions itself as a neutral "
        "actor preserving strategic balance); 002 Box 2 (multivector: no joining of anyone's camp); notes "
        "§1 (hedging as insurance, Kuik [9])",
        "at its largest loss toward Russia, the share of it that went to autonomy, between 0.45 and 1",
        "share",
        (KZ2022,),
        m.kz_neutral,
        0.45,
        1.0,
        "lower: a neutral actor keeps at least half of what it takes from Russia for itself (in proportion "
        "to its start shares autonomy would get about a third); upper: it did not retreat from its other "
        "partners either: the EU strategic partnership and Xi's visit came in the same years (002 Areas of "
        "engagement, Box 2)",
        required=CONTRAST,
    ),
    Fact(
        "hedging_needs_options",
        "Kazakhstan, with options, hedges into neutrality more than dependent Tajikistan and Kyrgyzstan can",
        "notes §1 (Korolev: hedging fails when protective options vanish [10]); 002 Kazakhstan section "
        "(largest economy, balancing; wiggle room used) and Russia section (every tenth Tajik works in "
        "Russia; remittances about half of Tajik GDP); 002 Kyrgyzstan section (heavily reliant on Russia "
        "for fuel, food, security)",
        "share of the loss toward Russia that went to autonomy: Kazakhstan in 2022 minus Tajikistan, and "
        "minus Kyrgyzstan, in the 2024 backlash, between +0.05 and +0.8",
        "share",
        (KZ2022, CROCUS),
        m.kz_over_dependent,
        0.05,
        0.8,
        "lower: the state with options insures itself by neutrality, the dependent ones spread their loss "
        "over their patrons; upper: the dependent ones keep some autonomy too (they are not Russia's "
        "satellites, 002 Box 2)",
        required=CONTRAST,
    ),
    Fact(
        "cpc_diversification",
        "A CPC outage leaves lasting diversification of Kazakh oil routes",
        "notes §6 #6 (the 2022 outages led to a presidential order to diversify via the Trans-Caspian route) "
        "[20]; 002 Economic engagement (the Middle Corridor is operational but capacity-limited)",
        "rise of Kazakhstan's energy substitutability against the baseline two years after the outage "
        "ends, between +0.01 and +0.15",
        "substitutability",
        (KZ2022,),
        m.cpc_diversification,
        0.01,
        0.15,
        "lower: the order to diversify was acted on (shipments via the Caspian); upper: bottlenecks and "
        "limited capacity keep the bypass small",
    ),
    # ---- the 2024 crackdown on migrants
    Fact(
        "crackdown_favourability",
        "A Russian crackdown on migrants lowers favourability toward Russia in Tajikistan, Kyrgyzstan and Uzbekistan",
        "002 Russia section (the backlash after the Crocus attack, more than the war, drove the decline of "
        "Russia's soft power); notes [28] (post-Crocus entry denials and expulsions)",
        "in each of the three, favourability toward Russia against the baseline two years in, between -0.30 and -0.02",
        "favourability",
        (CROCUS,),
        m.crackdown_favourability,
        -0.30,
        -0.02,
        "upper: the backlash visibly eroded Russia's appeal; lower: Russians remain broadly liked (high "
        "soft power, going down), so no collapse of 30 points",
    ),
    Fact(
        "crackdown_migrant_households",
        "Migrant households turn against Russia most, and the hostility reaches beyond them",
        "002 Russia section (xenophobia, discrimination and violence against migrant workers; the hostility "
        "soon extended beyond the diaspora)",
        "in each of the three, the fall of migrant households' favourability over that of all citizens, two "
        "years in, between 1.2 and 6",
        "ratio",
        (CROCUS,),
        m.crackdown_migrants,
        1.2,
        6.0,
        "lower: those who bear the crackdown turn most; upper: the hostility spread beyond the diaspora, so "
        "the others turn too",
    ),
    Fact(
        "crackdown_dip",
        "The crackdown dents alignment toward Russia in Tajikistan, Kyrgyzstan and Uzbekistan without "
        "collapsing it: hard leverage persists",
        "002 Key findings and Russia section (Russia remains the key political and security actor with strong "
        "economic leverage, though less attractive and less predictable since 2024)",
        "in each of the three, the largest relative dip of alignment toward Russia below the baseline, "
        "between 0.2 % and 20 %",
        "relative change",
        (CROCUS,),
        m.crackdown_dip,
        0.002,
        0.20,
        "lower: a less welcoming, less predictable partner loses some standing, if only a little where "
        "remittances are a seventh of GDP (Uzbekistan); upper: no government changed course after 2024 "
        "(leaders aim to prevent any deterioration of relations, 002 Russia section), so none moves a "
        "fifth of its Russian alignment elsewhere",
    ),
    Fact(
        "crackdown_soft_not_hard",
        "Soft power falls faster than alignment: Tajikistan keeps its course as its people turn away",
        "002 Key findings (Russia remains the key actor and wields strong economic leverage while its soft "
        "power declines); 002 Russia section (leaders aim to prevent any deterioration of relations)",
        "Tajikistan a year and a half into the backlash: relative fall of its alignment toward Russia over "
        "the relative fall of its citizens' favourability toward Russia, between -0.2 and 0.5",
        "ratio",
        (CROCUS,),
        m.crackdown_hard_over_soft,
        -0.2,
        0.5,
        "upper: the study's central finding is a Russia less attractive yet still the key actor: the "
        "public turned markedly while the government kept its course, so alignment falls at most half as "
        "fast as sympathy; lower: keeping course allows a small step toward Moscow to repair relations, "
        "not a rally to it",
        required=CONTRAST,
    ),
    Fact(
        "dependence_restrains",
        "Dependence restrains: under the same crackdown, Tajikistan turns from Russia less, per unit of its "
        "dependence on remittances, than Uzbekistan with its diversified partners",
        "002 Russia section (leaders keenly aware of their vulnerabilities aim to prevent any deterioration "
        "of relations); 002 Uzbekistan section (comparatively diversified partners); notes §1 and §3 E2 "
        "(small states with few options bandwagon under leverage, Korolev [10])",
        "harsher crackdown (scenarios/remittance_shock.yaml): largest relative dip of alignment toward "
        "Russia per unit of remittances/GDP, Tajikistan over Uzbekistan, between 0.05 and 0.85",
        "ratio",
        ("remittance_shock",),
        m.dependence_restrains,
        0.05,
        0.85,
        "upper: if the most dependent state turned as much per unit of dependence as the least, dependence "
        "would not restrain, against the study's account of leaders aware of their vulnerability; lower: "
        "Tajikistan still turns somewhat (its people do, and Russia becomes less predictable)",
        required=CONTRAST,
    ),
    # ---- the January 2022 crisis in Kazakhstan
    Fact(
        "guarantor_russia",
        "In a regime crisis in Kazakhstan, Russia steps in as guarantor",
        "002 Russia section (CSTO intervention stabilised Tokayev's government in January 2022); notes §6 "
        "#11 (about 2,000-2,500 troops) [20, 26]",
        "where Kazakhstan's regime is guaranteed during the crisis, the guarantor is Russia (1), in at least "
        "nine members in ten",
        "1 = Russia",
        ("csto_crisis",),
        m.guarantor,
        1.0,
        1.0,
        "the January 2022 deployment; China signalled support but did not intervene (002 Box 2)",
    ),
    Fact(
        "guarantee_gratitude",
        "A guarantee brings the regime closer to its guarantor, by a few points",
        "002 Russia section (Russia perceived as guarantor of regime stability); notes §6 #11 (months later "
        "Kazakhstan declined to recognise the DPR/LPR) [20, 26]",
        "where Russia guaranteed the regime, the largest rise of Kazakhstan's alignment toward Russia "
        "against the baseline during the crisis and two years after, between +0.003 and +0.05",
        "share",
        ("csto_crisis",),
        m.gratitude,
        0.003,
        0.05,
        "lower: the guarantee bought Moscow standing; upper: Kazakhstan still refused to recognise Russia's "
        "proxies within months, so the debt bought no realignment",
    ),
    Fact(
        "guarantee_fades",
        "The political debt of a guarantee fades within a few years",
        "notes §6 #11 (Kazakhstan declined to recognise the DPR/LPR in 2022; the CSTO force left within about "
        "two weeks) [20, 26]; 001",
        "Kazakhstan's alignment toward Russia against the baseline five years after the crisis, between "
        "-0.02 and +0.015",
        "share",
        ("csto_crisis",),
        m.gratitude_fades,
        -0.02,
        0.015,
        "the debt fades: five years on, no lasting shift either way (upper: 0.015, a twentieth of "
        "Russia's share; lower: -0.02, the guarantee does not turn into resentment either)",
    ),
    Fact(
        "crisis_recovers",
        "The regime recovers from the crisis within two years",
        "002 Russia section (the intervention helped stabilise the government); notes §6 #11 (the force "
        "left within about two weeks) [20, 26]",
        "Kazakhstan's regime stability two years after the crisis began above its lowest point in the "
        "crisis, between +0.1 and +0.5",
        "index (0-1)",
        ("csto_crisis",),
        m.crisis_recovery,
        0.1,
        0.5,
        "lower: the regime recovered (the force could leave within two weeks); upper: a recovery of more "
        "than half the scale would leave the regime steadier than any in the region at the start",
    ),
)

#: The library scenarios the facts need, in run order.
EPISODES: tuple[str, ...] = tuple(dict.fromkeys(name for fact in FACTS for name in fact.needs))
