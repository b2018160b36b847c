"""The HTML pages of ``casim play``: self-contained (inline style and script, no downloads).

The pages only display; every rule (who may do what, which values are allowed) is
enforced by :mod:`casim.playserver` and :func:`casim.play.parse_moves`.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from casim import names

if TYPE_CHECKING:
    from casim.playserver import PlayState

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 1.4rem; }
.muted { color: #666; } .ok { color: #1b7a1b; } .error { color: #b00020; font-weight: bold; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #ddd; padding: .25rem .4rem; }
th { background: #f4f4f4; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
input[type=number] { width: 4.2rem; } select { width: 6.6rem; }
button { font-size: 1rem; padding: .45rem 1rem; cursor: pointer; }
img { max-width: 100%; border: 1px solid #eee; }
.cell { display: flex; flex-direction: column; gap: 2px; }
code { background: #f4f4f4; padding: 1px 4px; }
"""


def _page(title: str, body: str, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>{meta}"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def message_page(title: str, message: str) -> str:
    return _page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p><p><a href='/'>Join page</a></p>")


def join_page(scenario: str) -> str:
    return _page(
        f"casim play: {scenario}",
        f"""<h1>casim play: {html.escape(scenario)}</h1>
<p>Your team steers one of the powers. Enter the code your teacher gave your team.</p>
<form onsubmit="location.href='/team?token='+encodeURIComponent(document.getElementById('code').value.trim());
return false;"><input id="code" size="14" autofocus placeholder="team code"> <button>Join</button></form>
<p class="muted">After the last turn everyone can open the <a href="/debrief">debrief</a>.</p>""",
    )


TEAM_SCRIPT = """
const TOKEN = %(token)s, POWER = %(power)s;
let shownTurn = -1;
function q(s) { return document.querySelector(s); }
function buildForm(st) {
  const L = st.levers, m = st.moves || {effort: {}, weapon: {}, conditionality: null};
  let h = '<table id="levers"><tr><th>state</th>';
  for (const c of L.channels) h += `<th title="${L.channel_descriptions[c]}">${c}</th>`;
  h += '</tr>';
  for (const s of L.states) {
    h += `<tr><th>${s}</th>`;
    for (const c of L.channels) {
      const e = ((m.effort || {})[s] || {})[c] ?? 1, w = ((m.weapon || {})[s] || {})[c] ?? 'keep';
      h += `<td><div class="cell"><input type="number" class="effort" data-state="${s}" data-channel="${c}"
        min="${L.effort[0]}" max="${L.effort[1]}" step="0.25" value="${e}" title="effort factor (1 = as usual)">
        <select class="weapon" data-state="${s}" data-channel="${c}">` +
        L.weapon.map(o => `<option${o === w ? ' selected' : ''}>${o}</option>`).join('') +
        '</select></div></td>';
    }
    h += '</tr>';
  }
  h += '</table>';
  const cv = m.conditionality === null || m.conditionality === undefined ? '' : m.conditionality;
  h += `<p><label>Conditionality this year (${L.conditionality[0]} to ${L.conditionality[1]}; empty: leave it)
    <input type="number" id="conditionality" min="${L.conditionality[0]}" max="${L.conditionality[1]}"
    step="0.1" value="${cv}"></label></p>`;
  q('#form').innerHTML = h;
}
function collect() {
  const moves = {effort: {}, weapon: {}, conditionality: null};
  document.querySelectorAll('input.effort').forEach(i => {
    const v = parseFloat(i.value);
    if (v !== 1) (moves.effort[i.dataset.state] ??= {})[i.dataset.channel] = isNaN(v) ? i.value : v;
  });
  document.querySelectorAll('select.weapon').forEach(s => {
    if (s.value !== 'keep') (moves.weapon[s.dataset.state] ??= {})[s.dataset.channel] = s.value;
  });
  const c = q('#conditionality').value;
  if (c !== '') moves.conditionality = parseFloat(c);
  return moves;
}
async function submitMoves() {
  const r = await fetch('/api/moves?token=' + encodeURIComponent(TOKEN),
    {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(collect())});
  const d = await r.json();
  q('#status').className = r.ok ? 'ok' : 'error';
  q('#status').textContent = r.ok ? 'Moves submitted. You can change them until the teacher ends the turn.'
                                   : 'Not accepted: ' + d.error;
}
async function poll() {
  try {
    const r = await fetch('/api/state?token=' + encodeURIComponent(TOKEN));
    const st = await r.json();
    if (st.turn !== shownTurn) {
      shownTurn = st.turn;
      q('#chart').src = '/figure/session.png?token=' + encodeURIComponent(TOKEN) + '&turn=' + st.turn;
      if (st.finished) {
        q('#play').style.display = 'none';
        q('#turn').innerHTML = 'The session is over. <a id="debrief" href="/debrief">Open the debrief</a>.';
      } else {
        q('#turn').textContent = `Turn ${st.turn + 1} of ${st.turns}: year ${st.year}`;
        q('#status').className = 'muted'; q('#status').textContent = 'Set your levers, then submit.';
        const ev = q('#scenario-events');
        ev.replaceChildren(...st.scenario_events.map(t => { const li = document.createElement('li'); li.textContent = t; return li; }));
        q('#scenario-note').style.display = st.scenario_events.length ? '' : 'none';
        buildForm(st);
      }
    }
  } catch (e) { /* the server may be busy running the model; try again */ }
  setTimeout(poll, 2000);
}
poll();
"""


def team_page(scenario: str, power: str, token: str) -> str:
    script = TEAM_SCRIPT % {"token": json.dumps(token), "power": json.dumps(power)}
    return _page(
        f"{power}: casim play",
        f"""<h1>You steer: {html.escape(power)}</h1>
<p class="muted">Scenario: {html.escape(scenario)}. One turn is one year. Your levers apply to that year only.</p>
<p id="turn">Loading…</p>
<div id="play">
<p><b>Effort</b> multiplies what {html.escape(power)} would invest anyway in a channel toward a state
(1 = as usual, 0 = withdraw, up to 3). <b>weaponise</b> turns a channel into a weapon for the year
(restrict migrants, cut a pipeline, ban imports); <b>stop</b> ends a weaponisation; <b>keep</b> leaves it.</p>
<div id="scenario-note" style="display:none"><p>The scenario already has {html.escape(power)} (or everyone) do this,
whatever you choose (<b>stop</b> can end a weaponisation early):</p><ul id="scenario-events"></ul></div>
<div id="form"></div>
<button id="submit" onclick="submitMoves()">Submit moves</button> <span id="status" class="muted"></span>
</div>
<h2>Where the states stand toward {html.escape(power)}</h2>
<img id="chart" alt="alignment of each state toward {html.escape(power)} so far">
<script>{script}</script>""",
    )


TEACHER_SCRIPT = """
const KEY = %(key)s;
let shownTurn = -1;
function q(s) { return document.querySelector(s); }
async function advance() {
  q('#advance').disabled = true; q('#status').className = 'muted';
  q('#status').textContent = 'Running the model…';
  const r = await fetch('/api/advance?key=' + encodeURIComponent(KEY), {method: 'POST'});
  const d = await r.json();
  q('#status').className = r.ok ? 'ok' : 'error';
  q('#status').textContent = r.ok ? 'Turn ended.' : 'Could not end the turn: ' + d.error;
  await poll(false);
}
async function poll(again = true) {
  try {
    const st = await (await fetch('/api/state?key=' + encodeURIComponent(KEY))).json();
    const base = location.origin;
    let h = '<tr><th>team</th><th>link to give the team</th><th>code</th><th>moves this turn</th></tr>';
    for (const t of st.teams) {
      const link = `${base}/team?token=${encodeURIComponent(t.token)}`;
      h += `<tr><td>${t.power}</td><td><a href="${link}" target="_blank">${link}</a></td><td><code>${t.token}</code></td>
        <td class="submitted">${st.submitted.includes(t.power) ? '✓ submitted' : '–'}</td></tr>`;
    }
    q('#teams').innerHTML = h;
    if (st.turn !== shownTurn) {
      shownTurn = st.turn;
      q('#chart').src = '/figure/session.png?key=' + encodeURIComponent(KEY) + '&turn=' + st.turn;
    }
    if (st.finished) {
      q('#turn').innerHTML = `All ${st.turns} turns played. <a id="debrief" href="/debrief?key=${encodeURIComponent(KEY)}">Open the debrief</a>` +
        ` · <a href="/session.json?key=${encodeURIComponent(KEY)}">download the session</a>`;
      q('#advance').style.display = 'none';
    } else {
      q('#turn').textContent = `Turn ${st.turn + 1} of ${st.turns}: year ${st.year}`;
      q('#advance').textContent = `End turn ${st.turn + 1}`;
      q('#advance').disabled = false;
    }
    q('#saved').textContent = st.saved_to ? 'Saved after every turn to ' + st.saved_to : '';
  } catch (e) { }
  if (again) setTimeout(poll, 2000);
}
poll();
"""


def teacher_page(scenario: str, key: str) -> str:
    return _page(
        f"Teacher: casim play {scenario}",
        f"""<h1>casim play: {html.escape(scenario)} (teacher)</h1>
<p id="turn">Loading…</p>
<p>Give each team its link (or the join page <code>/</code> and its code). Teams see only their own levers.
End the turn when the teams have submitted; teams that did not submit keep their power's usual behaviour.</p>
<table id="teams"></table>
<p><button id="advance" onclick="advance()">End turn</button> <span id="status" class="muted"></span></p>
<p class="muted" id="saved"></p>
<h2>All powers so far</h2>
<img id="chart" alt="alignment of each state toward each steered power so far">
<script>{TEACHER_SCRIPT % {"key": json.dumps(key)}}</script>""",
    )


def _fmt(x: float) -> str:
    return "≈0" if abs(x) < 0.0005 else f"{x:+.3f}"


def debrief_page(state: PlayState, teacher: bool) -> str:
    """The debrief: paths against the no-intervention band, the change at the end, which moves mattered."""
    s = state.session
    title = f"Debrief: casim play {s.scenario.name}"
    if not s.finished:
        return _page(
            title,
            f"<h1>{html.escape(title)}</h1><p>The debrief opens after the last turn "
            f"({s.turn} of {s.turns} played).</p>",
            refresh=5,
        )
    if state.debrief_status != "ready" or state.debrief is None:
        if state.debrief_status == "failed":
            return _page(
                title,
                f"<h1>{html.escape(title)}</h1><p class='error'>The debrief could not be computed: "
                f"{html.escape(state.debrief_error)}</p>",
            )
        return _page(
            title,
            f"<h1>{html.escape(title)}</h1><p id='preparing'>Preparing the debrief "
            "(running the moves channel by channel)…</p>",
            refresh=2,
        )
    d = state.debrief
    change = d.change()
    rows = []
    for _, r in change.iterrows():
        rows.append(
            f"<tr><td>{r['state']}</td><td>{r['power']}</td><td class='num'>{r['no_intervention']:.3f}</td>"
            f"<td class='num'>{r['played']:.3f}</td><td class='num'>{_fmt(r['change'])}</td>"
            f"<td class='num'>[{r['change_p05']:+.3f}, {r['change_p95']:+.3f}]</td></tr>"
        )
    top = []
    if len(d.by_channel):
        steered = d.by_channel[d.by_channel["pole"].isin(s.powers)].copy()
        steered["size"] = steered["contribution"].abs()
        for _, r in steered.sort_values("size", ascending=False).head(8).iterrows():
            top.append(
                f"<tr><td>{r['group']}</td><td>{r['state']}</td><td>{r['pole']}</td>"
                f"<td class='num'>{_fmt(r['contribution'])}</td></tr>"
            )
    teams = []
    if len(d.by_team):
        for power in s.powers:
            part = d.by_team[(d.by_team["group"] == power) & (d.by_team["pole"] == power)]
            total = ", ".join(f"{r['state']} {_fmt(r['contribution'])}" for _, r in part.iterrows())
            teams.append(f"<tr><td>{power}</td><td>{total or 'no moves'}</td></tr>")
    moves = []
    for turn, by_power in enumerate(s.history):
        for power, m in by_power.items():
            parts = [f"effort ×{v:g} {c} in {st}" for (st, c), v in sorted(m.effort.items())]
            parts += [f"{v} {c} in {st}" for (st, c), v in sorted(m.weapon.items())]
            if m.conditionality is not None:
                parts.append(f"conditionality {m.conditionality:g}")
            moves.append(
                f"<tr><td>{s.year(turn)}</td><td>{power}</td><td>{html.escape('; '.join(parts) or 'no moves')}</td></tr>"
            )
    download = (
        f"<p><a href='/session.json?key={html.escape(s.teacher_key)}'>Download the session</a> "
        "(<code>casim play --replay FILE</code> shows this debrief again).</p>"
        if teacher
        else ""
    )
    states = ", ".join(names.STATES)
    body = f"""<h1 id="debrief-title">{html.escape(title)}</h1>
<p>Each panel: a state's alignment toward a steered power. Coloured: the path under the teams' moves; grey: the
same scenario with no team moves (the powers act as the model's powers do), its median dashed and 90 % of the
{d.alignment.sizes["member"]} members shaded. Both use the same members and random numbers, so the gap is the
effect of the moves.</p>
<img id="paths" src="/figure/paths.png" alt="paths of {states} toward each steered power">
<h2>Change at the end ({d.labels[-1]}): the teams' moves against no intervention</h2>
<table id="changes"><tr><th>state</th><th>toward</th><th>no intervention</th><th>with the moves</th>
<th>change (median)</th><th>90 % band</th></tr>{"".join(rows)}</table>
<h2>Which moves mattered</h2>
<p>The change at the end split among the moves, grouped by channel (all teams together) with a
{d.method} Shapley split; the parts add up to the total change.</p>
<img id="attribution" src="/figure/attribution.png" alt="contributions of the moves by channel">
<table id="top"><tr><th>moves in</th><th>state</th><th>toward</th><th>contribution</th></tr>{"".join(top)}</table>
<h2>Each team's own effect (toward its power)</h2>
<table id="teams-effect"><tr><th>team</th><th>contribution by state</th></tr>{"".join(teams)}</table>
<h2>The moves, turn by turn</h2>
<table id="moves"><tr><th>year</th><th>team</th><th>moves</th></tr>{"".join(moves)}</table>
{download}"""
    return _page(title, body)
