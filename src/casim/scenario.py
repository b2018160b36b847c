"""YAML scenarios: the format, its validation, and compilation to a :class:`~casim.spec.RunSpec`.

A scenario file names the run, says where its story comes from, and lists what changes
relative to the baseline: parameter overrides, timed events, random events and
uncertain parameters. See README.md ("Scenario format") for a full example and
``casim schema`` for the JSON Schema.

Validation happens in two passes, and every problem becomes an
:class:`~casim.errors.Issue` with file, line, column, field, expectation and, where
possible, a suggestion:

1. structure and types (pydantic; unknown keys are errors);
2. meaning: names of states, powers, channels and segments; parameter paths; which
   selectors a variable accepts; event times inside the horizon.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from casim import names
from casim.errors import CasimError, Issue
from casim.interventions import ATTRIBUTABLE, MAX_FACTOR, OPS, TARGETS, WEAPONISED, Intervention
from casim.names import CHANNELS, POLES, POWERS, SEGMENTS, STATES, UnknownName
from casim.parameters import Distribution, ParameterError, ParameterSet
from casim.rng import MAX_MEMBERS, MAX_SEED
from casim.spec import Quarter, RunSpec
from casim.yamlsrc import key_line, line_of, loads_yaml

#: Longest scenario name (it names results folders and files).
MAX_NAME = 80
MAX_HORIZON = 200
DEFAULT_MEMBERS = 100
DEFAULT_HORIZON = 40


def _as_list(value: Any) -> Any:
    """Accept a single name where a list of names is expected."""
    return [value] if isinstance(value, str) else value


def _names(kind: str, choices: list[str]) -> Any:
    """A list of names of one kind; a single name is accepted too (and so says the schema)."""
    one = {"type": "string", "enum": choices}
    return Annotated[
        list[str],
        BeforeValidator(_as_list),
        WithJsonSchema({"anyOf": [one, {"type": "array", "items": one}], "description": f"one or more {kind}"}),
    ]


ChannelNames = _names("channels", list(CHANNELS))
PowerNames = _names("powers (or autonomy for the anchor)", list(POLES))
StateNames = _names("states", list(STATES))
SegmentNames = _names("citizen audiences (general = everyone)", ["general", *SEGMENTS])
AuthorNames = _names(
    "powers the states hold responsible for the change (for flow and water_governance changes)", list(POWERS)
)
QuarterRef = int | str


class UncertainSpec(BaseModel):
    """A distribution for a parameter drawn per member."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    dist: Literal["uniform", "normal", "triangular", "scale"] = Field(
        description="uniform(low, high), normal(mean, sd), triangular(low, mode, high) or scale(low, high): "
        "a factor on the declared value"
    )
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> UncertainSpec:
        need = {
            "uniform": ("low", "high"),
            "scale": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "normal": ("mean", "sd"),
        }[self.dist]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.dist != "normal" and not self.low < self.high:  # type: ignore[operator]
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:  # type: ignore[operator]
            raise ValueError("mode must lie between low and high")
        return self

    def to_distribution(self) -> Distribution:
        return Distribution(
            kind=self.dist,
            low=self.low or 0.0,
            high=self.high if self.high is not None else 1.0,
            mode=self.mode or 0.0,
            mean=self.mean or 0.0,
            sd=self.sd or 1.0,
        )


class Change(BaseModel):
    """What an event changes: shared by timed and random events."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field("", description="short label shown in reports")
    description: str = ""
    variable: str | None = Field(
        None,
        description="what to change: " + ", ".join(TARGETS) + " (or use 'parameter')",
        json_schema_extra={"enum": list(TARGETS)},
    )
    parameter: str | None = Field(None, description="dotted path of a parameter read during the run")
    channels: ChannelNames = Field(default_factory=list)
    powers: PowerNames = Field(default_factory=list)
    states: StateNames = Field(default_factory=list)
    segments: SegmentNames = Field(default_factory=list)
    by: AuthorNames = Field(default_factory=list)
    op: Literal["multiply", "add", "set"]
    value: float = Field(ge=-1e6, le=1e6, description="the factor (multiply), amount (add) or level (set)")
    ramp: int = Field(1, ge=1, le=MAX_HORIZON, description="quarters to reach full strength")
    duration: int | Literal["permanent"] = Field("permanent", description="quarters the change lasts, or 'permanent'")

    @model_validator(mode="after")
    def _one_target(self) -> Change:
        if (self.variable is None) == (self.parameter is None):
            raise ValueError("give exactly one of 'variable' or 'parameter'")
        if isinstance(self.duration, int) and self.duration < 1:
            raise ValueError("duration must be at least 1 quarter (or 'permanent')")
        return self

    @property
    def weaponises(self) -> bool:
        """Whether this change switches a power's weaponisation of channels on."""
        return self.variable == WEAPONISED and self.op == "set" and self.value > 0


class Event(Change):
    """A change that starts at a given quarter."""

    at: QuarterRef = Field(description="quarter it starts, e.g. 2026Q3, or quarters after the start (1, 2, ...)")


class RandomEvent(Change):
    """A change that fires with a probability each quarter, drawn per member."""

    probability: float = Field(gt=0, le=1, description="chance per quarter and member")
    window: tuple[QuarterRef, QuarterRef] | None = Field(None, description="first and last quarter it may fire")
    max_occurrences: int | None = Field(None, ge=1)


class Scenario(BaseModel):
    """A casim scenario (one YAML file)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$",
        max_length=MAX_NAME,
        description="short identifier (letters, digits, _ -)",
    )
    description: str = Field(min_length=1)
    sources: list[str] = Field(default_factory=list, description="where the story and its numbers come from")
    start: str = Field("2026Q1", description="quarter of the start state")
    horizon: int = Field(DEFAULT_HORIZON, ge=1, le=MAX_HORIZON, description="quarters simulated")
    members: int = Field(DEFAULT_MEMBERS, ge=1, le=MAX_MEMBERS, description="ensemble members")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="the one seed of the run")
    assumptions: dict[str, Any] = Field(
        default_factory=dict, description="parameter overrides applied to the scenario AND its baseline"
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="parameter overrides that are part of the scenario (not the baseline)"
    )
    events: list[Event] = Field(default_factory=list)
    random_events: list[RandomEvent] = Field(default_factory=list)
    uncertain: dict[str, UncertainSpec] = Field(default_factory=dict, description="parameters drawn per member")
    sample_ranges: bool = Field(
        True,
        description="each member draws every data and behavioural parameter from its documented range "
        "(false: keep them at their values); assumptions and parameters given here stay pinned",
    )

    # ------------------------------------------------------------------ compilation
    def start_quarter(self) -> Quarter:
        return Quarter.parse(self.start)

    def quarter_index(self, ref: QuarterRef) -> int:
        """Quarter index (0 = start) of a quarter label or offset."""
        if isinstance(ref, int):
            return ref
        return Quarter.parse(ref) - self.start_quarter()

    def _interventions(self) -> tuple[Intervention, ...]:
        out = []
        for change in [*self.events, *self.random_events]:
            random = isinstance(change, RandomEvent)
            out.append(
                Intervention(
                    target=change.variable if change.variable else f"param:{change.parameter}",
                    op=change.op,
                    value=float(change.value),
                    start=1 if random else self.quarter_index(change.at),  # type: ignore[attr-defined]
                    ramp=change.ramp,
                    duration=None if change.duration == "permanent" else int(change.duration),
                    states=tuple(names.resolve("state", s) for s in change.states),
                    powers=tuple(names.resolve("pole", p) for p in change.powers),
                    channels=tuple(names.resolve("channel", c) for c in change.channels),
                    segments=tuple(_audience(s) for s in change.segments),
                    probability=change.probability if random else None,  # type: ignore[attr-defined]
                    window=(
                        tuple(self.quarter_index(q) for q in change.window)  # type: ignore[attr-defined]
                        if random and change.window
                        else None
                    ),
                    max_occurrences=change.max_occurrences if random else None,  # type: ignore[attr-defined]
                    name=change.name,
                    by=tuple(names.resolve("power", p) for p in change.by),
                )
            )
        return tuple(out)

    def _base_params(self, params: ParameterSet | None) -> ParameterSet:
        from casim.paramfile import load_parameters

        base = params if params is not None else load_parameters()
        return base.with_overrides(self.assumptions) if self.assumptions else base

    def _uncertain(self) -> dict[str, Distribution]:
        return {path: spec.to_distribution() for path, spec in self.uncertain.items()}

    def event_windows(self) -> list[tuple[int, int]]:
        """Quarters in which the scenario's events act: merged ``(first, last)`` quarter indices."""
        from casim.spec import event_windows

        return event_windows(self._interventions(), self.horizon)

    def main_state(self) -> str | None:
        """The state the scenario's events name most often; among equals, the one named first
        (authors list the main target first). None if the events name no state (all states)."""
        counts: dict[str, int] = {}
        for change in [*self.events, *self.random_events]:
            for state in change.states:
                name = names.resolve("state", state)
                counts[name] = counts.get(name, 0) + 1
        return max(counts, key=counts.__getitem__) if counts else None

    def to_runspec(self, params: ParameterSet | None = None) -> RunSpec:
        """The scenario as a run: assumptions and overrides applied, events compiled."""
        base = self._base_params(params)
        return RunSpec(
            params=base.with_overrides(self.parameters) if self.parameters else base,
            horizon=self.horizon,
            start=self.start_quarter(),
            interventions=self._interventions(),
            uncertain=self._uncertain(),
            sample_ranges=self.sample_ranges,
            name=self.name,
        )

    def baseline_runspec(self, params: ParameterSet | None = None) -> RunSpec:
        """The paired baseline: same start, horizon, assumptions and uncertainty; no overrides or events."""
        return RunSpec(
            params=self._base_params(params),
            horizon=self.horizon,
            start=self.start_quarter(),
            uncertain=self._uncertain(),
            sample_ranges=self.sample_ranges,
            name="baseline",
        )

    def resolved(self, **changes: Any) -> Scenario:
        """A copy with fields changed (e.g. members, seed from the command line)."""
        return self.model_copy(update={k: v for k, v in changes.items() if v is not None})

    def to_yaml_dict(self) -> dict[str, Any]:
        """All fields, defaults included, with canonical names: the resolved scenario."""
        data = self.model_dump(mode="json")
        for group in ("events", "random_events"):
            for raw, change in zip(data[group], getattr(self, group), strict=True):
                raw["states"] = [names.resolve("state", s) for s in change.states]
                raw["powers"] = [names.resolve("pole", p) for p in change.powers]
                raw["channels"] = [names.resolve("channel", c) for c in change.channels]
                raw["segments"] = [_audience(s) for s in change.segments]
                raw["by"] = [names.resolve("power", p) for p in change.by]
        return data


def _audience(name: str) -> str:
    if str(name).strip().lower() in ("all", "everyone", "general"):
        return "general"
    return names.resolve("segment", name)


# --------------------------------------------------------------------------- loading


def load_scenario(path: str | Path, params: ParameterSet | None = None) -> Scenario:
    """Read and fully validate a scenario file.

    ``path`` may also be the name of a scenario in the library (``remittance_shock``, as
    ``casim list`` shows it) when no such file exists.

    Raises:
        CasimError: listing every problem with its file, line, field and suggestion.
    """
    from casim.library import resolve_scenario
    from casim.yamlsrc import load_yaml

    path = resolve_scenario(path)

    return validate_document(load_yaml(path), str(path), params)


def loads_scenario(text: str, filename: str = "<string>", params: ParameterSet | None = None) -> Scenario:
    """Validate a scenario given as YAML text (see :func:`load_scenario`)."""
    return validate_document(loads_yaml(text, filename), filename, params)


def validate_document(doc: Any, filename: str, params: ParameterSet | None = None) -> Scenario:
    """Validate a parsed YAML document: structure and meaning, every problem in one pass.

    When parts of the document are malformed, the well-formed rest (top-level fields,
    overrides, each well-formed event) is still checked for meaning, so one run of
    ``casim validate`` lists every problem of the file.
    """
    if not isinstance(doc, Mapping):
        found = "an empty file" if doc is None else f"a {type(doc).__name__}"
        raise CasimError(
            filename, 1, 1, "", f"a scenario must be a mapping of fields (name, description, ...), found {found}"
        )
    if params is None:
        from casim.paramfile import load_parameters

        params = load_parameters()
    try:
        scenario = Scenario.model_validate(dict(doc))
    except ValidationError as err:
        structural = _structural_issues(err, doc, filename)
        bad = [_clean_loc(tuple(e["loc"])) for e in err.errors()]
        issues = structural + _partial_semantic_issues(doc, filename, params, bad)
        raise CasimError.from_issues(sorted(issues, key=lambda i: (i.line, i.col))) from None
    except RecursionError:
        raise CasimError(filename, 1, 1, "", "the document refers to itself (recursive YAML aliases)") from None
    issues = _semantic_issues(scenario, doc, filename, params)
    if issues:
        raise CasimError.from_issues(issues)
    return scenario


def _partial_semantic_issues(
    doc: Mapping[str, Any], filename: str, params: ParameterSet, bad: list[tuple[Any, ...]]
) -> list[Issue]:
    """Meaning of the well-formed parts of a document that has structural errors."""
    broken_top = {loc[0] for loc in bad if loc}
    groups = ("events", "random_events")
    partial = {
        key: value
        for key, value in doc.items()
        if key in Scenario.model_fields and key not in broken_top and key not in groups
    }
    partial.setdefault("name", "partial")
    partial.setdefault("description", "partial")
    try:
        skeleton = Scenario.model_validate(partial)
    except ValidationError:
        return []
    changes: list[tuple[str, int, Change]] = []
    for group in groups:
        items = doc.get(group)
        if group in broken_top and not isinstance(items, list):
            continue
        for number, item in enumerate(items or []):
            if any(loc[:2] == (group, number) for loc in bad):
                continue
            with contextlib.suppress(ValidationError, TypeError, ValueError):
                changes.append((group, number, _MODELS[group].model_validate(item)))
    return _semantic_issues(skeleton, doc, filename, params, changes)


_MODELS: dict[str, type[BaseModel]] = {"events": Event, "random_events": RandomEvent, "uncertain": UncertainSpec}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel]:
    """The pydantic model that owns the field at ``loc``."""
    if len(loc) >= 2 and loc[0] in _MODELS:
        return _MODELS[str(loc[0])]
    return Scenario


def _field_name(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_UNION_FIELDS = {"at", "duration", "window"}
_TAG = re.compile(r"^(int|str|float|bool|literal\[.*\]|function-\w+\[.*\]|tuple\[.*\]|list\[.*\])$")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the tags pydantic adds to locations inside union-typed fields (``at``, ``duration``, ``window``)."""
    out: list[Any] = []
    for part in loc:
        inside_union = any(p in _UNION_FIELDS for p in out if isinstance(p, str))
        if inside_union and isinstance(part, str) and _TAG.match(part):
            continue
        out.append(part)
    return tuple(out)


def _structural_issues(err: ValidationError, doc: Any, filename: str) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[tuple[Any, ...]] = set()
    for e in err.errors():
        loc = _clean_loc(tuple(e["loc"]))
        kind = e["type"]
        if loc in seen and kind not in ("extra_forbidden", "missing"):
            continue  # one message per field (unions report each alternative)
        seen.add(loc)
        field = _field_name(loc)
        suggestion = None
        last = loc[-1] if loc else ""
        if kind == "extra_forbidden":
            model = _model_at(loc)
            allowed = list(model.model_fields)
            suggestion = names.suggest(str(last), allowed)
            message = f"unknown field '{last}' (allowed: {', '.join(allowed)})"
            line, col = key_line(doc, list(loc))
        elif kind == "string_pattern_mismatch" and loc == ("name",):
            line, col = line_of(doc, list(loc))
            message = (
                f"expected a short identifier of letters, digits, '_' or '-' (no spaces), got {_shown(e.get('input'))}"
            )
        elif kind == "missing":
            message = f"missing required field '{last}'"
            line, col = line_of(doc, list(loc[:-1]))
        else:
            line, col = line_of(doc, list(loc))
            message = _message(e)
            given = e.get("input")
            if kind in ("literal_error", "enum") and isinstance(given, str):
                expected = re.findall(r"'([^']+)'", e.get("ctx", {}).get("expected", ""))
                suggestion = names.suggest(given, expected)
        issues.append(Issue(filename, max(line, 1), max(col, 1), field, message, suggestion))
    return sorted(issues, key=lambda i: (i.line, i.col))


#: Longest echo of a given value in a message.
MAX_SHOWN = 60


def _shown(value: Any) -> str:
    """A short representation of a value for a message (never a huge echo)."""
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 5] + "…" + text[-4:]


def _message(e: Mapping[str, Any]) -> str:
    kind, msg = e["type"], e["msg"]
    shown = _shown(e.get("input"))
    if kind == "value_error":
        return str(e.get("ctx", {}).get("error", msg))
    if kind == "literal_error":
        return f"expected {e.get('ctx', {}).get('expected', 'one of the allowed values')}, got {shown}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg[0].lower() + msg[1:]}, got {shown}"
    return f"{msg[0].lower() + msg[1:]} (got {shown})"


# --------------------------------------------------------------------------- meaning


def _semantic_issues(
    scn: Scenario,
    doc: Any,
    filename: str,
    params: ParameterSet,
    changes: list[tuple[str, int, Change]] | None = None,
) -> list[Issue]:
    """Problems of meaning; ``changes`` (group, index, change) default to the scenario's events."""
    issues: list[Issue] = []

    def add(keys: list[Any], message: str, suggestion: str | None = None, key: bool = False) -> None:
        line, col = key_line(doc, keys) if key else line_of(doc, keys)
        issues.append(Issue(filename, max(line, 1), max(col, 1), _field_name(tuple(keys)), message, suggestion))

    try:
        start = scn.start_quarter()
    except ValueError:
        add(["start"], f"expected a quarter like 2026Q1, got '{scn.start}'")
        start = Quarter(2026, 1)

    for group in ("assumptions", "parameters"):
        for path, value in getattr(scn, group).items():
            try:
                params.with_overrides({path: value})
            except ParameterError as err:
                add(
                    [group, path],
                    f"{err.detail} (a parameter override)",
                    err.suggestion,
                    key=err.detail.startswith("no such"),
                )
    for path in scn.uncertain:
        try:
            param, _ = params.split_path(path)
        except ParameterError as err:
            add(["uncertain", path], err.detail, err.suggestion, key=True)
            continue
        if not param.sampled:
            add(
                ["uncertain", path],
                f"'{param.path}' is a {param.kind} setting and cannot vary between members",
                key=True,
            )

    if changes is None:
        changes = [(g, k, c) for g in ("events", "random_events") for k, c in enumerate(getattr(scn, g))]
    for group, number, change in changes:
        _check_change(change, [group, number], add, params, scn, start)
    return sorted(issues, key=lambda i: (i.line, i.col))


def _check_change(
    change: Change, where: list[Any], add: Any, params: ParameterSet, scn: Scenario, start: Quarter
) -> None:
    dims: tuple[str, ...] = ()
    if change.variable is not None:
        if change.variable not in TARGETS:
            add(
                [*where, "variable"],
                f"'{change.variable}' is not a variable (choose from: {', '.join(TARGETS)})",
                names.suggest(change.variable, TARGETS),
            )
            return
        info = TARGETS[change.variable]
        dims = params[info.param].dims if info.param else info.dims
        bounds = params[info.param].bounds if info.param else info.bounds
    else:
        try:
            param, _ = params.split_path(str(change.parameter))
        except ParameterError as err:
            add([*where, "parameter"], err.detail, err.suggestion)
            return
        if param.init_only:
            add(
                [*where, "parameter"],
                f"'{param.path}' only sets the start state; change it under 'parameters:' (an override) instead",
            )
            return
        dims = param.dims
        bounds = param.bounds
    _check_value(change, where, add, bounds)
    selectors = {
        "states": ("state", "partner"),
        "powers": ("power", "pole"),
        "channels": ("channel",),
        "segments": ("audience", "segment"),
    }
    for field, kinds in selectors.items():
        values = getattr(change, field)
        if not values:
            continue
        if not any(k in dims for k in kinds):
            target = change.variable or change.parameter
            add(
                [*where, field],
                f"'{target}' has no {kinds[0]} dimension (its dimensions: "
                f"{', '.join(dims) or 'none'}); remove '{field}'",
            )
            continue
        kind = {
            "states": "state",
            "powers": "pole" if "pole" in dims else "power",
            "channels": "channel",
            "segments": "segment",
        }[field]
        for number, value in enumerate(values):
            try:
                if field == "segments":
                    _audience(value)
                else:
                    names.resolve(kind, value)
            except UnknownName as err:
                add(
                    [*where, field, number],
                    f"'{value}' is not a {'segment' if field == 'segments' else kind}"
                    f" (choose from: {', '.join(err.choices)})",
                    err.suggestion,
                )
    if change.by:
        target = change.variable or f"param:{change.parameter}"
        if target not in ATTRIBUTABLE:
            add(
                [*where, "by"],
                f"only {' and '.join(ATTRIBUTABLE)} changes can name authors; remove 'by' from a "
                f"'{change.variable or change.parameter}' change",
            )
        for number, value in enumerate(change.by):
            try:
                names.resolve("power", value)
            except UnknownName as err:
                add(
                    [*where, "by", number],
                    f"'{value}' is not a power (choose from: {', '.join(err.choices)})",
                    err.suggestion,
                )
    if change.op not in OPS:  # pragma: no cover - pydantic already checks
        add([*where, "op"], f"expected one of {', '.join(OPS)}")
    times = [("at", change.at)] if isinstance(change, Event) else []
    if isinstance(change, RandomEvent) and change.window:
        times += [("window", change.window[0]), ("window", change.window[1])]
    for field, ref in times:
        try:
            index = ref if isinstance(ref, int) else Quarter.parse(ref) - start
        except ValueError:
            add([*where, field], f"expected a quarter like 2026Q3 or a number of quarters after the start, got '{ref}'")
            continue
        if not 1 <= index <= scn.horizon:
            last = start + scn.horizon
            add(
                [*where, field],
                f"must fall between {start + 1} and {last} (the start {start} is fixed; the run "
                f"ends after {scn.horizon} quarters), got '{ref}'",
            )
    if isinstance(change, RandomEvent) and change.window:
        try:
            if scn.quarter_index(change.window[0]) > scn.quarter_index(change.window[1]):
                add([*where, "window"], "the window's first quarter comes after its last")
        except ValueError:
            pass


def _check_value(change: Change, where: list[Any], add: Any, bounds: tuple[float, float]) -> None:
    """Reject values no effective value could mean: outside the target's range, or a factor out of scale."""
    low, high = bounds
    target = change.variable or change.parameter
    span = f"[{low:g}, {high:g}]"
    if change.op == "set" and not low <= change.value <= high:
        add([*where, "value"], f"'{target}' can only be set within {span}, got {change.value:g}")
    elif change.op == "multiply" and not 0 <= change.value <= MAX_FACTOR:
        add([*where, "value"], f"a factor must lie between 0 and {MAX_FACTOR:g}, got {change.value:g}")
    elif change.op == "add" and math.isfinite(high - low) and abs(change.value) > high - low:
        add([*where, "value"], f"'{target}' lies within {span}, so adding {change.value:g} cannot mean anything")
    if change.variable == "anchor":
        try:
            everything = not change.powers or {names.resolve("pole", p) for p in change.powers} >= set(POLES)
        except UnknownName:
            return  # reported with the selectors
        empty = {"set": change.value <= 0, "multiply": change.value <= 0, "add": change.value <= -1}[change.op]
        if everything and empty:
            add(
                [*where, "value"],
                "this empties the doctrine anchor toward every pole (nothing left to align with); "
                "change some poles only (powers: [...])",
            )


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of the scenario format (for editor completion)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "casim scenario"
    return schema
