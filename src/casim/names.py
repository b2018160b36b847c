"""Identifiers of the model's entities: states, powers, alignment poles, channels, segments.

Every array in casim orders its axes by the tuples defined here. Users may refer to an
entity by its full name, its two-letter code or a common alias, in any letter case;
:func:`resolve` turns all of these into the canonical name and, for a name it does not
know, raises :class:`UnknownName` carrying a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

STATES: tuple[str, ...] = ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan")
STATE_CODES: tuple[str, ...] = ("KZ", "KG", "TJ", "TM", "UZ")

POWERS: tuple[str, ...] = ("Russia", "China", "EU", "US", "Turkey")
POWER_CODES: tuple[str, ...] = ("RU", "CN", "EU", "US", "TR")

#: Alignment is a point on the simplex over the five powers plus autonomy (the multivector
#: or regional "C5" option), so a state can hold part of its orientation for itself.
AUTONOMY = "autonomy"
POLES: tuple[str, ...] = (*POWERS, AUTONOMY)

CHANNELS: tuple[str, ...] = (
    "remittances",
    "energy",
    "security",
    "fdi",
    "trade",
    "aid",
    "media",
    "education",
)
#: Channels whose flows are money and enter GDP; the others are measured as indices.
ECONOMIC_CHANNELS: tuple[str, ...] = ("remittances", "energy", "fdi", "trade", "aid")

SEGMENTS: tuple[str, ...] = ("migrant_household", "russian_media", "rural", "youth")
#: Rows of the citizens' experience table: the whole population, then each segment.
AUDIENCES: tuple[str, ...] = ("general", *SEGMENTS)

CHANNEL_DESCRIPTIONS: dict[str, str] = {
    "remittances": "money sent home by labour migrants",
    "energy": "oil and gas export routes and fuel imports",
    "security": "arms supply, alliances (CSTO), bases, officer training, regime guarantees",
    "fdi": "foreign direct investment",
    "trade": "trade in goods",
    "aid": "development aid and technical cooperation",
    "media": "media reach and language",
    "education": "universities, scholarships, vocational training and technical standards",
}

SEGMENT_DESCRIPTIONS: dict[str, str] = {
    "migrant_household": "household with a member working abroad",
    "russian_media": "regular audience of Russian-language media",
    "rural": "lives in a rural area",
    "youth": "aged 18 to 29",
}

#: Axis labels by dimension name. ``partner`` is a second state axis (state x state tables).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "state": STATES,
    "partner": STATES,
    "power": POWERS,
    "pole": POLES,
    "channel": CHANNELS,
    "segment": SEGMENTS,
    "audience": AUDIENCES,
}

_ALIASES: dict[str, dict[str, str]] = {
    "state": {
        **{code.lower(): name for code, name in zip(STATE_CODES, STATES, strict=True)},
        "kazakstan": "Kazakhstan",
        "kyrgyz republic": "Kyrgyzstan",
        "kirghizia": "Kyrgyzstan",
    },
    "power": {
        **{code.lower(): name for code, name in zip(POWER_CODES, POWERS, strict=True)},
        "european union": "EU",
        "united states": "US",
        "usa": "US",
        "united states of america": "US",
        "türkiye": "Turkey",
        "turkiye": "Turkey",
        "russian federation": "Russia",
        "prc": "China",
    },
    "channel": {
        "remittance": "remittances",
        "migration": "remittances",
        "labour": "remittances",
        "oil": "energy",
        "gas": "energy",
        "arms": "security",
        "military": "security",
        "investment": "fdi",
        "development_aid": "aid",
        "soft_power": "media",
        "language": "media",
        "vocational": "education",
        "training": "education",
        "standards": "education",
    },
    "segment": {"migrant": "migrant_household", "migrants": "migrant_household", "young": "youth"},
}
_ALIASES["partner"] = _ALIASES["state"]
_ALIASES["pole"] = {**_ALIASES["power"], "c5": AUTONOMY, "none": AUTONOMY}


class UnknownName(ValueError):
    """A name that is not a known entity of the given kind.

    Attributes:
        kind: The kind looked up ("state", "power", ...).
        name: What the user wrote.
        suggestion: The closest known name, or None.
        choices: All canonical names of that kind.
    """

    def __init__(self, kind: str, name: object, suggestion: str | None, choices: Sequence[str]):
        self.kind, self.name, self.suggestion, self.choices = kind, name, suggestion, tuple(choices)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"'{name}' is not a {kind}{hint} (choose from: {', '.join(choices)})")


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``name`` (case-insensitive), or None if none is close."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def resolve(kind: str, name: object) -> str:
    """Return the canonical name of an entity of ``kind`` written as ``name``.

    Args:
        kind: One of the keys of :data:`DIMENSIONS`.
        name: Full name, code or alias, any letter case.

    Raises:
        UnknownName: If ``name`` matches nothing; carries a suggestion where one is close.
    """
    labels = DIMENSIONS[kind]
    text = str(name).strip()
    for label in labels:
        if label.lower() == text.lower():
            return label
    alias = _ALIASES.get(kind, {}).get(text.lower())
    if alias is not None:
        return alias
    known = list(labels) + list(_ALIASES.get(kind, {}))
    guess = suggest(text, known)
    if guess is not None and guess not in labels:
        guess = _ALIASES[kind][guess.lower()]
    raise UnknownName(kind, name, guess, labels)


def index(kind: str, name: object) -> int:
    """Position of ``name`` on the axis of ``kind`` (see :func:`resolve`)."""
    return DIMENSIONS[kind].index(resolve(kind, name))
