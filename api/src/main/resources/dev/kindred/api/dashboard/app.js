// Kindred dashboard: plain JavaScript, no build step, no third-party code. Talks to the API of the server that
// serves it: /api/alerts (list), /api/alerts/stream (Server-Sent Events, read with fetch so the bearer token and
// Last-Event-ID travel as headers), /api/patients/{key}[/similar|/alerts], /api/feedback.
'use strict';

const state = {
  token: sessionStorage.getItem('kindred.token') || '',
  alerts: [],              // newest first, summaries
  position: '',            // the stream position after the newest alert seen
  patient: null,           // key of the open patient
  alert: null,             // id of the open alert
  stream: null,            // AbortController of the live stream
  maxAlerts: 500,
};

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.substring(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

function headers(extra = {}) {
  const h = Object.assign({ Accept: 'application/json' }, extra);
  if (state.token) h.Authorization = 'Bearer ' + state.token;
  return h;
}

async function api(path, options = {}) {
  const response = await fetch(path, Object.assign({}, options, { headers: headers(options.headers || {}) }));
  if (response.status === 401) {
    askToken();
    throw new Error('a bearer token is required');
  }
  if (!response.ok) {
    let message = response.status + '';
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    const err = new Error(message);
    err.status = response.status;
    throw err;
  }
  return response.json();
}

function askToken() {
  const dialog = $('#token-dialog');
  if (!dialog.hidden) return;
  dialog.hidden = false;
  $('#token-input').focus();
}

$('#token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = $('#token-input').value.trim();
  sessionStorage.setItem('kindred.token', state.token);
  $('#token-dialog').hidden = true;
  start();
});

// ------------------------------------------------------------------------------------------------ alerts

function filters() {
  const severities = [...document.querySelectorAll('#filters input[name=severity]:checked')].map((i) => i.value);
  return { severities, patient: $('#filter-patient').value.trim() };
}

function visible(a) {
  const f = filters();
  return f.severities.includes(a.indicator) && (!f.patient || a.patientKey.includes(f.patient));
}

function fmtTime(iso) {
  return iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z') : '';
}

function alertItem(a, fresh) {
  const button = el('button', {
    type: 'button', class: 'sev-' + a.indicator, 'data-alert': a.alertId, 'data-patient': a.patientKey,
    onclick: () => openPatient(a.patientKey, a.alertId),
  },
  el('span', { class: 'summary', text: a.summary }),
  el('span', { class: 'meta', text: a.indicator + ' · patient ' + a.patientKey.substring(0, 13) + '… · '
      + fmtTime(a.eventTime) }));
  if (a.alertId === state.alert) button.setAttribute('aria-current', 'true');
  const li = el('li', { class: fresh ? 'new' : '' }, button);
  return li;
}

function renderAlerts() {
  const list = $('#alert-list');
  list.replaceChildren(...state.alerts.filter(visible).slice(0, 200).map((a) => alertItem(a, false)));
  $('#alert-count').textContent = state.alerts.length;
}

function addAlert(a) {
  state.alerts.unshift(a);
  if (state.alerts.length > state.maxAlerts) state.alerts.length = state.maxAlerts;
  $('#alert-count').textContent = state.alerts.length;
  const counter = $('#count-' + a.indicator);
  if (counter) counter.textContent = (parseInt(counter.textContent, 10) || 0) + 1;
  if (visible(a)) {
    const list = $('#alert-list');
    list.prepend(alertItem(a, true));
    while (list.children.length > 200) list.lastChild.remove();
  }
}

async function loadAlerts() {
  const body = await api('/api/alerts?limit=' + state.maxAlerts);
  state.alerts = body.alerts;
  state.position = body.position;
  for (const [sev, n] of Object.entries(body.bySeverity || {})) {
    const c = $('#count-' + sev);
    if (c) c.textContent = n;
  }
  renderAlerts();
}

// Server-Sent Events over fetch: the token goes in a header (EventSource cannot send one), and a reconnect sends
// the last event id, so no alert is lost or shown twice.
async function follow() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  const status = $('#connection');
  while (!controller.signal.aborted) {
    try {
      const h = headers({ Accept: 'text/event-stream' });
      if (state.position) h['Last-Event-ID'] = state.position;
      const response = await fetch('/api/alerts/stream', { headers: h, signal: controller.signal });
      if (response.status === 401) { askToken(); return; }
      if (!response.ok || !response.body) throw new Error('stream ' + response.status);
      status.textContent = 'live';
      status.dataset.live = 'true';
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          handleEvent(buffer.substring(0, cut));
          buffer = buffer.substring(cut + 2);
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    status.textContent = 'reconnecting…';
    status.dataset.live = 'false';
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function handleEvent(block) {
  let event = 'message';
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.substring(0, colon);
    const value = colon < 0 ? '' : line.substring(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (id) state.position = id;
  if (event === 'alert' && data.length) addAlert(JSON.parse(data.join('\n')));
  if (event === 'gap') $('#connection').textContent = 'live (some older alerts were skipped)';
}

document.querySelectorAll('#filters input').forEach((i) => i.addEventListener('input', renderAlerts));

// ------------------------------------------------------------------------------------------------ patient

function fmtNum(v) {
  if (v === null || v === undefined) return '';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function range(f) {
  if (f.referenceLow == null && f.referenceHigh == null) return '—';
  if (f.referenceLow == null) return '≤ ' + fmtNum(f.referenceHigh);
  if (f.referenceHigh == null) return '≥ ' + fmtNum(f.referenceLow);
  return fmtNum(f.referenceLow) + '–' + fmtNum(f.referenceHigh);
}

function renderFeatures(p) {
  const rows = p.features.map((f) => {
    const flag = f.direction > 0 ? ' ▲' : f.direction < 0 ? ' ▼' : f.abnormal ? ' !' : '';
    const tr = el('tr', { class: f.abnormal ? 'abnormal' : '' },
      el('td', { text: f.name }),
      el('td', { class: 'num' }, fmtNum(f.value) + ' ' + f.unit,
        el('span', { class: 'flag ' + (f.direction > 0 ? 'high' : f.direction < 0 ? 'low' : ''), text: flag,
          title: f.abnormal ? 'outside the reference range' : '' })),
      el('td', { text: range(f) }),
      el('td', { text: fmtTime(f.effectiveTime).substring(0, 10) }));
    return tr;
  });
  $('#features tbody').replaceChildren(...rows);
}

// The triggering measurement over time, drawn by hand in SVG: the values, the reference band, abnormal points.
function renderTrend(feature) {
  const box = $('#trend-box');
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('id', 'trend');
  svg.setAttribute('viewBox', '0 0 600 180');
  svg.setAttribute('role', 'img');
  const make = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
    return n;
  };
  if (!feature || !feature.history || feature.history.length === 0) {
    svg.setAttribute('aria-label', 'no measurement history');
    make('text', { x: 20, y: 90, fill: '#4a5361' }, 'No measurement history for this alert.');
    box.replaceChildren(svg);
    $('#trend-title').textContent = 'Triggering measurement over time';
    return;
  }
  $('#trend-title').textContent = feature.name + ' over time (' + feature.unit + ')';
  const pts = feature.history.map((h) => ({ t: Date.parse(h.time), v: h.value, a: h.abnormal }));
  const values = pts.map((p) => p.v).concat([feature.referenceLow, feature.referenceHigh].filter((v) => v != null));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.1;
  lo -= pad; hi += pad;
  const t0 = Math.min(...pts.map((p) => p.t));
  const t1 = Math.max(...pts.map((p) => p.t));
  const L = 50, R = 590, T = 10, B = 155;
  const x = (t) => t1 === t0 ? (L + R) / 2 : L + (t - t0) / (t1 - t0) * (R - L);
  const y = (v) => B - (v - lo) / (hi - lo) * (B - T);
  svg.setAttribute('aria-label', feature.name + ': ' + pts.length + ' values from ' + new Date(t0).toISOString().substring(0, 10)
      + ' to ' + new Date(t1).toISOString().substring(0, 10) + ', latest ' + fmtNum(feature.value) + ' ' + feature.unit);
  const bandLo = feature.referenceLow != null ? feature.referenceLow : lo;
  const bandHi = feature.referenceHigh != null ? feature.referenceHigh : hi;
  make('rect', { x: L, y: y(bandHi), width: R - L, height: Math.max(0, y(bandLo) - y(bandHi)), fill: '#e6f4ea' });
  make('line', { x1: L, y1: B, x2: R, y2: B, stroke: '#4a5361' });
  make('line', { x1: L, y1: T, x2: L, y2: B, stroke: '#4a5361' });
  make('text', { x: L - 6, y: y(hi - pad) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#1b1f24' }, fmtNum(hi - pad));
  make('text', { x: L - 6, y: y(lo + pad) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#1b1f24' }, fmtNum(lo + pad));
  make('text', { x: L, y: 172, 'font-size': 11, fill: '#1b1f24' }, new Date(t0).toISOString().substring(0, 10));
  make('text', { x: R, y: 172, 'text-anchor': 'end', 'font-size': 11, fill: '#1b1f24' }, new Date(t1).toISOString().substring(0, 10));
  make('polyline', { points: pts.map((p) => x(p.t) + ',' + y(p.v)).join(' '), fill: 'none', stroke: '#0d4a8a', 'stroke-width': 2 });
  for (const p of pts) {
    const c = make('circle', { cx: x(p.t), cy: y(p.v), r: p.a ? 4.5 : 3, fill: p.a ? '#a3141c' : '#0d4a8a' });
    const title = document.createElementNS(NS, 'title');
    title.textContent = new Date(p.t).toISOString().substring(0, 10) + ': ' + fmtNum(p.v) + (p.a ? ' (out of range)' : '');
    c.append(title);
  }
  box.replaceChildren(svg);
}

function renderSimilar(similar) {
  const rows = similar.similarPatients.map((s) => el('tr', {},
    el('td', { text: s.patientKey ? s.pseudonym + ' ' + s.patientKey.substring(0, 8) + '…' : s.pseudonym }),
    el('td', { class: 'num', text: s.similarity.toFixed(3) }),
    el('td', { text: (s.sharedFeatures || []).join(', ') || '—' }),
    el('td', { text: s.outcomes.filter((o) => o.status !== 'UNKNOWN').slice(0, 3)
      .map((o) => o.treatment + ': ' + o.status.toLowerCase().replace('_', ' ')).join('; ') || '—' })));
  $('#similar tbody').replaceChildren(...rows);
}

function renderRecommendations(recs) {
  const rows = recs.map((r) => el('tr', {},
    el('td', { text: r.treatment + (r.alreadyReceiving ? ' (already receiving)' : '') }),
    el('td', { class: 'num', text: r.neighboursTreated }),
    el('td', { class: 'num', text: r.neighboursImproved + ' of ' + r.neighboursWithOutcome }),
    el('td', { class: 'num', text: Math.round(r.weightedImprovementRate * 100) + ' %' }),
    el('td', { class: 'num', text: Math.round(r.wilsonLowerBound * 100) + ' %' })));
  if (rows.length === 0) {
    rows.push(el('tr', {}, el('td', { colspan: 5, text: 'No treatment has enough similar patients with a known outcome.' })));
  }
  $('#recommendations tbody').replaceChildren(...rows);
}

async function openPatient(key, alertId) {
  state.patient = key;
  state.alert = alertId || null;
  history.replaceState(null, '', '#patient=' + encodeURIComponent(key) + (alertId ? '&alert=' + alertId : ''));
  document.querySelectorAll('#alert-list button').forEach((b) =>
    b.setAttribute('aria-current', b.dataset.alert === alertId ? 'true' : 'false'));
  $('#patient-title').textContent = 'Patient ' + key;
  $('#patient-hint').textContent = 'loading…';
  $('#feedback-status').textContent = '';
  try {
    const [p, similar, alerts] = await Promise.all([
      api('/api/patients/' + encodeURIComponent(key)),
      api('/api/patients/' + encodeURIComponent(key) + '/similar'),
      api('/api/patients/' + encodeURIComponent(key) + '/alerts'),
    ]);
    if (state.patient !== key) return;
    let alert = alerts.alerts.find((a) => a.alertId === alertId) || null;
    if (!alert && alertId) {
      try { alert = await api('/api/alerts/' + alertId); } catch (e) { alert = null; }
    }
    if (!alert && alerts.alerts.length) alert = alerts.alerts[0];
    state.alert = alert ? alert.alertId : null;
    $('#patient-hint').textContent = 'served by ' + p.servedBy + (p.demographics ? ' · ' + (p.demographics.gender || '')
        + (p.demographics.birthDate ? ', born ' + p.demographics.birthDate : '') : '');
    $('#patient-body').hidden = false;
    renderFeatures(p);
    const featureId = alert && alert.trigger && alert.trigger.type === 'OUT_OF_RANGE' ? alert.trigger.featureId : null;
    const trend = p.features.find((f) => f.featureId === featureId)
      || p.features.find((f) => f.abnormal && f.history.length > 1) || p.features.find((f) => f.history.length > 1);
    renderTrend(trend);
    if (alert) {
      $('#alert-detail').hidden = false;
      $('#alert-summary').textContent = alert.summary;
      $('#alert-summary').className = 'sev-' + alert.indicator;
      renderRecommendations(alert.recommendations);
      renderSimilar({ similarPatients: alert.similarPatients });
      showFeedback(alert.feedback);
    } else {
      $('#alert-detail').hidden = true;
      renderRecommendations(similar.recommendations);
      renderSimilar(similar);
    }
    $('#patient-panel').focus();
  } catch (e) {
    $('#patient-body').hidden = true;
    $('#patient-hint').textContent = e.status === 404 ? 'No such patient.' : 'Could not load the patient: ' + e.message;
  }
}

function showFeedback(counts) {
  if (!counts) return;
  $('#feedback-status').textContent = (counts.accepted || counts.overridden)
    ? 'Feedback so far: ' + counts.accepted + ' accepted, ' + counts.overridden + ' overridden' : '';
}

async function sendFeedback(outcome) {
  if (!state.alert) return;
  const body = { card: state.alert, outcome };
  if (outcome === 'overridden') body.overrideReason = $('#override-reason').value;
  try {
    const r = await api('/api/feedback', { method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' } });
    $('#feedback-status').textContent = 'Recorded (' + outcome + '). Feedback so far: ' + r.feedback.accepted
      + ' accepted, ' + r.feedback.overridden + ' overridden';
  } catch (e) {
    $('#feedback-status').textContent = 'Not recorded: ' + e.message;
  }
}

$('#accept').addEventListener('click', () => sendFeedback('accepted'));
$('#override').addEventListener('click', () => sendFeedback('overridden'));
$('#lookup').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = $('#lookup-key').value.trim();
  if (key) openPatient(key, null);
});

// ------------------------------------------------------------------------------------------------ start

async function start() {
  try {
    await loadAlerts();
    follow();
    const hash = new URLSearchParams(location.hash.substring(1));
    if (hash.get('patient')) openPatient(hash.get('patient'), hash.get('alert'));
  } catch (e) {
    $('#connection').textContent = e.message;
  }
}

start();
