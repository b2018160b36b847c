"""The casim model: a :class:`mesa.Model` of five states, five powers and their citizens.

One model holds a batch of ensemble members; every state array has the member axis
first, so one :meth:`CentralAsiaModel.step` advances all members by one quarter.

Schedule of a quarter (docs/model.md, section 3):

1. **Powers act** on last quarter's state: extra investment effort where they lose ground,
   weaponisation under the trigger, guarantees for regimes in crisis.
2. **Channels and the economy**: Russia's output gap, credibility, capability and water;
   potential flows grow; realised flows after disruption and substitution; exposure and
   leverage; GDP, regime stability, threat, regional cooperation, standards.
3. **Citizens update** their favourability from what they experience and their peers.
4. **Governments update** their alignment: utilities, hedging target, peers, anchor, noise.
5. **Record** the outputs.

All randomness is drawn up front from each member's own stream (:mod:`casim.rng`).
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np

from casim import channels, economy, government, powers, rng
from casim.agents import PowerAgent, StateAgent
from casim.citizens import Citizens
from casim.counterfactual import Counterfactual, InputLog
from casim.interventions import WEAPONISED, Schedule
from casim.names import CHANNELS, DIMENSIONS, POLES, POWERS, SEGMENTS, STATES
from casim.outputs import Recorder, check_finite, check_outputs
from casim.parameters import ParamArrays
from casim.spec import RunSpec
from casim.world import DTYPE, N_POWERS, N_STATES, Effective, World, axis_sum, channel_table, initial_world

# Layout of the per-quarter random draws (normals and uniforms come from separate streams).
_NORMALS = {"alignment": N_STATES * len(POLES), "gdp": N_STATES, "stability": N_STATES, "russia": 1, "ruble": 1}
_UNIFORMS = {"weaponise": N_STATES * N_POWERS, "guarantee": N_STATES}


def member_indices(members: int | Sequence[int]) -> np.ndarray:
    """Global member indices from a count ``N`` (0..N-1) or an explicit sequence."""
    if isinstance(members, (int, np.integer)) and not isinstance(members, bool):
        if not 1 <= members <= rng.MAX_MEMBER_INDEX + 1:
            raise ValueError(f"members must be from 1 to {rng.MAX_MEMBER_INDEX + 1}, got {members}")
        return np.arange(int(members))
    listed = list(members)
    if not all(isinstance(k, (int, np.integer)) and 0 <= k <= rng.MAX_MEMBER_INDEX for k in listed):
        raise ValueError(f"member indices must be integers from 0 to {rng.MAX_MEMBER_INDEX}")
    ids = np.asarray(listed, dtype=np.int64)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError("members must be a positive count or a non-empty sequence of indices >= 0")
    return ids


class _PerMemberStreamsOnly:
    """Stands in for Mesa's shared ``model.random`` / ``model.rng``, which casim never uses.

    Every draw comes from the member's own stream (:mod:`casim.rng`), so that member k of
    any ensemble equals a lone run of member k. A shared generator would break that
    silently; this object makes any use of it fail loudly instead.
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        if attr.startswith("__") or attr == "_name":
            raise AttributeError(attr)
        raise RuntimeError(
            f"model.{self._name}.{attr}: casim draws randomness only from per-member streams "
            "(casim.rng); the shared Mesa generators would make members depend on each other"
        )


class CentralAsiaModel(mesa.Model):
    """Agent-based model of Central Asia between the powers.

    Args:
        spec: What to run (parameters, horizon, interventions, uncertainty); None runs the
            baseline with its default parameters (as ``casim.simulate(None)`` does).
        members: Count N (members 0..N-1) or global member indices.
        seed: The one seed of the run; member k draws from stream k spawned from it.
        outputs: Names of outputs to record (default: all of :data:`casim.outputs.OUTPUTS`).
        params: Pre-resolved parameters for these members (skips resolution).
        record_into: Arrays to record the outputs into (see :class:`casim.outputs.Recorder`).
        counterfactual: Let governments perceive reference values for some mechanisms
            (see :mod:`casim.counterfactual`; used to explain scenarios).
        log_inputs: Record the governments' inputs every quarter in ``model.input_log``.
        kernel: Update the citizens with the compiled kernel (identical results; default:
            for batches of at least :data:`casim.kernels.KERNEL_FROM` members when Numba is
            installed).
    """

    def __init__(
        self,
        spec: RunSpec | None = None,
        members: int | Sequence[int] = 1,
        seed: int = 0,
        *,
        outputs: Sequence[str] | None = None,
        params: ParamArrays | None = None,
        record_into: dict[str, np.ndarray] | None = None,
        counterfactual: Counterfactual | None = None,
        log_inputs: bool = False,
        kernel: bool | None = None,
    ):
        super().__init__(seed=rng.check_seed(seed))
        self.random = _PerMemberStreamsOnly("random")
        self.rng = _PerMemberStreamsOnly("rng")
        if spec is None:
            from casim.paramfile import load_parameters  # deferred: the only file the core reads

            spec = RunSpec(load_parameters())
        self.spec = spec
        self.seed = int(seed)
        self.member_ids = member_indices(members)
        ids = self.member_ids.tolist()
        self.params = params or spec.params.resolve(
            ids, self.seed, sample_ranges=spec.sample_ranges, uncertain=spec.uncertain, design=spec.design
        )
        # whose random numbers each member uses: its own, or under a design possibly one member's
        noise = ids if spec.design is None else spec.design.noise_ids(ids).tolist()
        self.interventions = Schedule(
            spec.interventions, spec.params, spec.horizon, noise, self.seed, spec.params.dynamic
        )
        self.counterfactual = counterfactual
        self.input_log = InputLog(self.members, spec.horizon) if log_inputs else None
        self.state_agents = [StateAgent(self, i) for i in range(N_STATES)]
        self.power_agents = [PowerAgent(self, p) for p in range(N_POWERS)]

        p = self.params
        self.world: World = initial_world(p)
        size = int(p.scalar("citizens.per_state"))
        draws = rng.citizen_draws(self.seed, noise, N_STATES, size, len(SEGMENTS), N_POWERS)
        self.citizens = Citizens(p, *draws, kernel=kernel)
        self._draws = self._split_draws(
            *rng.dynamics_draws(self.seed, noise, spec.horizon, sum(_NORMALS.values()), sum(_UNIFORMS.values()))
        )
        self._calibrate()
        sizes = {dim: len(labels) for dim, labels in DIMENSIONS.items()}
        self.recorder = Recorder(check_outputs(outputs), self.members, spec.horizon, sizes, into=record_into)
        self.recorder.record(self, 0)
        # Mesa's batch_run expects a DataCollector; outputs are recorded by self.recorder, so this
        # one holds no reporters and is never collected per step (see docs/model.md §3).
        self.datacollector = mesa.DataCollector()
        self.running = True

    # ------------------------------------------------------------------ set-up
    @property
    def members(self) -> int:
        return len(self.member_ids)

    @property
    def horizon(self) -> int:
        return self.spec.horizon

    def _split_draws(self, normals: np.ndarray, uniforms: np.ndarray) -> dict[str, np.ndarray]:
        """Cut the per-quarter draws into named blocks."""
        out = {}
        for block, layout in ((normals, _NORMALS), (uniforms, _UNIFORMS)):
            start = 0
            for name, width in layout.items():
                out[name] = block[..., start : start + width]
                start += width
        return out

    def _zeros(self, *dims: str) -> np.ndarray:
        return np.zeros((self.members, *(len(DIMENSIONS[d]) for d in dims)), DTYPE)

    def _calibrate(self) -> None:
        """Start-of-run quantities: exposure, opinion and the benchmark-calibrated bias."""
        w, p = self.world, self.params
        n = self.members
        self.effective = Effective(
            credibility=np.broadcast_to(p["powers.credibility"][:, None, :], (n, N_STATES, N_POWERS)).astype(DTYPE),
            capability=np.broadcast_to(p["powers.capability"], (n, N_POWERS)).astype(DTYPE),
            threat=w.threat.copy(),
            cooperation=w.cooperation.copy(),
            guaranteed=self._zeros("state", "power"),
            effort=np.ones((n, N_STATES, N_POWERS, len(CHANNELS)), DTYPE),
            water_governance=self._zeros("state"),
            russia_gap=w.russia_gap.copy(),
            ruble=np.exp(w.ruble),
            substitutability=channels.state_substitutability(w, p, self._base_substitutability(p)),
        )
        sigma = channels.effective_substitutability(w, p, self._base_substitutability(p))
        channels.exposure(w, p, sigma, channels.jurisdiction(p))
        w.opinion = self.citizens.opinion()
        inputs = self._inputs(p, self.effective, w.alignment0)
        if self.input_log is not None:
            self.input_log.record(inputs, 0)
        government.calibrate_bias(w, p, government.utilities(inputs, p))

    def _base_substitutability(self, p: ParamArrays) -> np.ndarray:
        return np.broadcast_to(channel_table(p, "substitutability"), (self.members, N_STATES, len(CHANNELS)))

    def _inputs(self, p: ParamArrays, now: Effective, anchor: np.ndarray) -> government.UtilityInputs:
        """What the governments' choice reads this quarter, with an explicit member axis."""
        w, n = self.world, self.members
        return government.UtilityInputs(
            flow=w.flow,
            # Governments look through the market cycle: flows and totals at their structural value.
            excused=w.excused + w.cyclical,
            blame=w.blame,
            leverage=w.leverage,
            withheld=w.withheld,
            total=w.total + axis_sum(w.cyclical, 2),
            opinion=w.opinion,
            threat=np.broadcast_to(now.threat, (n, N_STATES, N_POWERS)),
            credibility=np.broadcast_to(now.credibility, (n, N_STATES, N_POWERS)),
            capability=np.broadcast_to(now.capability, (n, N_POWERS)),
            care=np.broadcast_to(np.swapaxes(p["powers.care"], 1, 2), (n, N_STATES, N_POWERS)),
            conditionality=np.broadcast_to(p["powers.conditionality"], (n, N_POWERS)),
            cooperation=np.broadcast_to(now.cooperation, (n, N_STATES, N_STATES)),
            guarantee_memory=w.guarantee_memory,
            log_gdp=w.log_gdp,
            anchor=np.broadcast_to(anchor, (n, N_STATES, len(POLES))),
        )

    def _params_at(self, t: int) -> ParamArrays:
        """Parameters with this quarter's interventions on parameters applied."""
        changed = self.interventions.parameter_view(self.params, t)
        if not changed:
            return self.params
        return ParamArrays({**self.params.arrays, **changed}, self.params.members, self.params.used)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance every member by one quarter, phase by phase (docs/model.md, section 3)."""
        t = self.world.quarter + 1
        if t > self.horizon:
            raise RuntimeError(f"the run ends after quarter {self.horizon}")
        p = self._params_at(t)
        draws = {name: block[:, t - 1] for name, block in self._draws.items()}
        now = self.powers_act(p, t, draws)
        self.update_channels(p, t, now, draws)
        self.update_economy(p, t, now, draws)
        self.update_citizens(p, t, now)
        self.update_governments(p, t, now, draws)
        self.record(p, t, now)

    def _change(self, key: str, arr: np.ndarray, t: int) -> np.ndarray:
        return self.interventions.apply(key, arr, t)

    def powers_act(self, p: ParamArrays, t: int, draws: dict[str, np.ndarray]) -> Effective:
        """Phase 1: powers act on last quarter's state (effort, weaponisation, guarantees)."""
        w, n = self.world, self.members
        care = np.swapaxes(p["powers.care"], 1, 2)
        effort = self._change("effort", powers.effort(w, p), t)
        powers.decide_weaponisation(
            w,
            p,
            np.broadcast_to(p["powers.coercion"], (n, N_POWERS)),
            care,
            self.effective.credibility,
            draws["weaponise"].reshape(-1, N_STATES, N_POWERS),
        )
        powers.decide_guarantee(
            w, p, np.broadcast_to(p["powers.guarantee_propensity"], (n, N_POWERS)), care, draws["guarantee"]
        )
        forced = self._change(WEAPONISED, self._zeros("state", "power", "channel"), t)
        w.weaponised = np.maximum((w.weapon_timer > 0).astype(DTYPE), forced)
        return Effective(effort=effort, guaranteed=(w.guarantee_timer > 0).astype(DTYPE))

    def update_channels(self, p: ParamArrays, t: int, now: Effective, draws: dict[str, np.ndarray]) -> None:
        """Phase 2a: Russia's economy and the ruble, water, potentials, realised flows and attribution,
        diversification, exposure and leverage."""
        w, iv = self.world, self.interventions
        economy.advance_russia(w, p, draws["russia"][:, 0], draws["ruble"][:, 0])
        now.russia_gap = self._change("russia_output_gap", w.russia_gap, t)
        now.ruble = self._change("ruble", np.exp(w.ruble), t)
        water = self._change("water", economy.water_availability(p, t), t)
        now.water_governance, help_parts = iv.apply_attributed("water_governance", self._zeros("state"), t)
        now.shortfall = np.maximum(1.0 - water, 0.0).astype(DTYPE)
        river = economy.cross_river(p, w.water_cooperation)
        stress = economy.water_stress(p, water, np.maximum(now.water_governance, river))
        now.stress_change, w.water_stress = stress - w.water_stress, stress
        channels.grow_potentials(w, p, now.effort, p["flows.trend"])
        remittances = economy.remittance_factor(p, now.russia_gap, now.ruble)
        own = w.potential * channels.disruption(p, w.weaponised, remittances, now.guaranteed)
        w.cyclical = channels.cyclical_loss(own / remittances[:, None, None, None], remittances)
        own, parts = iv.apply_attributed("flow", own, t)
        w.excused, w.blame, authored = channels.attribute(parts, own.shape)
        # Technical governance is credited with the relief it adds beyond the states' own water cooperation.
        gov = now.water_governance
        beyond = np.where(gov > 0, np.maximum(gov - river, 0.0) / np.maximum(gov, channels.TINY), 0.0)
        helped = [(authors, change * beyond) for authors, change in help_parts]
        channels.credit_help(w.blame, helped, economy.water_relief(p, now.shortfall), channels.AID)
        w.harm = channels.coercive_cut(p, w.potential, w.weaponised) + authored
        channels.advance_diversification(w, p)
        base = self._change("substitutability", self._base_substitutability(p), t)
        now.substitutability = channels.state_substitutability(w, p, base)
        sigma = channels.effective_substitutability(w, p, base)
        now.previous_total = w.total
        channels.realise_flows(w, p, own, sigma)
        channels.exposure(w, p, sigma, channels.jurisdiction(p))

    def update_economy(self, p: ParamArrays, t: int, now: Effective, draws: dict[str, np.ndarray]) -> None:
        """Phase 2b: credibility and capability, GDP, regime stability, threat, cooperation, standards."""
        w = self.world
        harm = economy.harm_weight(p, w.harm)
        now.credibility = self._change("credibility", economy.advance_credibility(w, p, harm, t), t)
        now.capability = self._change("capability", economy.capability(p, t), t)
        growth = economy.advance_gdp(w, p, now.previous_total, now.stress_change, draws["gdp"])
        crisis = self._change("crisis", self._zeros("state"), t)
        economy.advance_stability(w, p, growth, crisis, axis_sum(now.guaranteed, 2), draws["stability"])
        economy.advance_threat(w, p, harm)
        now.threat = self._change("threat", w.threat, t)
        economy.advance_cooperation(w, p)
        economy.advance_water_cooperation(w, p, now.shortfall, now.water_governance)
        now.cooperation = self._change("cooperation", w.cooperation, t)
        economy.advance_standards(w, p)
        memory = channels.as_members(p["alignment.guarantee_memory"], 3)
        w.guarantee_memory = (memory * w.guarantee_memory + (1.0 - memory) * now.guaranteed).astype(DTYPE)

    def update_citizens(self, p: ParamArrays, t: int, now: Effective) -> None:
        """Phase 3: citizens feel the flows, credibility, coercion and backlash; opinion updates."""
        w = self.world
        visibility = np.broadcast_to(p["powers.visibility"], (self.members, N_POWERS))
        signals = channels.citizen_signals(
            w,
            p,
            visibility,
            now.credibility - p["powers.credibility"][:, None, :],
            self._change("backlash", self._zeros("state", "power"), t),
            self._change("opinion_shift", self._zeros("state", "power", "audience"), t),
        )
        self.citizens.update(signals, p["citizens.adaptation"], p["citizens.peer_weight"])
        w.opinion = self.citizens.opinion()

    def update_governments(self, p: ParamArrays, t: int, now: Effective, draws: dict[str, np.ndarray]) -> None:
        """Phase 4: utilities, hedging target, peers, anchor and noise move each state's alignment."""
        w = self.world
        anchor = self._change("anchor", w.alignment0, t)
        anchor = anchor / axis_sum(anchor, 2, keepdims=True)
        inputs = self._inputs(p, now, anchor)
        if self.input_log is not None:
            self.input_log.record(inputs, t)
        if self.counterfactual is not None:
            inputs = self.counterfactual.apply(inputs, t)
        target = government.hedging_target(w, p, government.utilities(inputs, p))
        shock = draws["alignment"].reshape(-1, N_STATES, len(POLES))
        government.update_alignment(w, p, target, inputs.anchor, inputs.cooperation, shock)

    def record(self, p: ParamArrays, t: int, now: Effective) -> None:
        """Phase 5: memories and timers advance; every output is recorded."""
        w = self.world
        powers.remember(w, p)
        powers.tick(w)
        w.quarter = t
        self.effective = now.completed(self.members)
        self.recorder.record(self, t)
        self.running = t < self.horizon

    def run(self) -> dict[str, np.ndarray]:
        """Step to the horizon and return the recorded outputs ``{name: (members, quarters, ...)}``.

        Raises:
            NonFiniteResult: if any output is NaN or infinite, naming the variable, its
                labels, the member and the first quarter (overflow warnings are silenced:
                this one error says it all).
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while self.world.quarter < self.horizon:
                self.step()
        check_finite(self.recorder.data, self.member_ids, self.spec.quarter_labels(), self.spec.name)
        return self.recorder.data

    def release(self) -> None:
        """Let Python free this model once the caller drops it (call after :meth:`run`).

        Mesa 3.3 keeps every model ever created in a class-level registry of agent ids
        (``mesa.Agent._ids``; mesa#3179, fixed in Mesa 3.4 by mesa#3180), and a model is part
        of reference cycles (its agents, its wrapped ``step``). Without this, a worker running
        chunk after chunk kept every finished model's arrays until memory ran out.
        """
        registry = getattr(mesa.Agent, "_ids", None)
        if isinstance(registry, dict):
            registry.pop(self, None)
        self.remove_all_agents()
        self.state_agents, self.power_agents = [], []
        # the large state goes at once, by reference counting: what is left in the model's
        # reference cycles is small, so no full garbage collection is needed per chunk (one
        # took about 70 ms, 12 % of a 200-member chunk's time)
        self.citizens = self.world = self._draws = self.effective = None  # type: ignore[assignment]

    def describe(self) -> str:
        """A one-paragraph summary of the model's agents for teaching."""
        return (
            f"CentralAsiaModel with {self.members} member(s): states {', '.join(STATES)}; "
            f"powers {', '.join(POWERS)}; {self.citizens.size} citizens per state; "
            f"quarter {self.world.quarter} of {self.horizon}."
        )
