// The dashboard page's script: polls live.json once a second (again every 2 s while stoep cannot be
// reached, so a restart is picked up by itself), keeps the last 120 samples in the page for the
// sparklines and the last-minute latency, and fills the page with textContent only (names and rules come
// from files and container labels). No library, no build step; times are shown in the browser's zone.
enum DashboardScript {
    static let js = #"""
'use strict';
(function () {
const POLL_MS = 1000, RETRY_MS = 2000, KEEP = 120, WINDOW = 60, CERT_WARN_DAYS = 14;
const ring = [];          // samples: {up, c: Map counter key -> value, g: Map gauge key -> value, h: Map hist key -> buckets}
let last = null, lastPid = null, lastConfigKey = '', failingSince = null;
const $ = (id) => document.getElementById(id);

// ---- formatting: every number with its unit ----
function num(x) { return x >= 100 ? Math.round(x).toLocaleString() : (x >= 10 ? x.toFixed(1) : x.toFixed(x === 0 ? 0 : 2)); }
function rate(x) { return num(x) + '/s'; }
function bytes(x) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;
  while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
  return (i === 0 ? Math.round(x) : x.toFixed(x >= 100 ? 0 : 1)) + ' ' + u[i];
}
function micros(us) {
  if (us == null) return '–';
  if (us < 1000) return Math.round(us) + ' µs';
  if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 1 : 0) + ' ms';
  return (us / 1e6).toFixed(1) + ' s';
}
function duration(s) {
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return d + ' d ' + h + ' h';
  if (h) return h + ' h ' + m + ' min';
  if (m) return m + ' min ' + (s % 60) + ' s';
  return s + ' s';
}
function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
function localTime(s) { return new Date(s * 1000).toLocaleString(); }

function put(id, text, value) {
  const e = $(id); if (!e) return;
  e.textContent = text;
  if (value !== undefined) e.dataset.v = String(value);
}
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    if (c instanceof Node) { const td = document.createElement('td'); td.appendChild(c); tr.appendChild(td); }
    else if (c && typeof c === 'object') { const td = el('td', c.t, c.c); if (c.v !== undefined) td.dataset.v = String(c.v); tr.appendChild(td); }
    else tr.appendChild(el('td', c));
  }
  return tr;
}
function fill(id, rows, empty, span) {
  const tb = document.querySelector('#' + id + ' tbody');
  tb.replaceChildren(...(rows.length ? rows : [row([{ t: empty, c: 'mute' }])]));
  if (!rows.length) tb.firstChild.firstChild.colSpan = span;
}

// ---- samples ----
function key(name, labels) {
  const k = Object.keys(labels || {});
  return k.length ? name + '{' + k.map((x) => x + '=' + labels[x]).join(',') + '}' : name;
}
function sample(d) {
  const s = { up: d.info.uptime_s, c: new Map(), g: new Map(), h: new Map() };
  for (const [name, list] of Object.entries(d.stats.counters || {})) for (const x of list) s.c.set(key(name, x.labels), x.value);
  for (const [name, list] of Object.entries(d.stats.gauges || {})) for (const x of list) s.g.set(key(name, x.labels), x.value);
  for (const [name, list] of Object.entries(d.stats.histograms || {})) for (const x of list) s.h.set(key(name, x.labels), x.buckets);
  return s;
}
// The sum of the counters of family `name` whose labels include `want`, in one sample.
function total(s, name, want) {
  let t = 0;
  for (const [k, v] of s.c) {
    if (k !== name && !k.startsWith(name + '{')) continue;
    if (want && !Object.entries(want).every(([a, b]) => k.includes(a + '=' + b + ',') || k.includes(a + '=' + b + '}'))) continue;
    t += v;
  }
  return t;
}
// Per-second rate of f(sample) over the last `n` intervals (0 when a counter went back: a restart).
function rateOf(f, n) {
  if (ring.length < 2) return 0;
  const b = ring[ring.length - 1], a = ring[Math.max(0, ring.length - 1 - n)];
  const dt = b.up - a.up, dv = f(b) - f(a);
  return dt > 0 && dv > 0 ? dv / dt : 0;
}
function series(f) {
  const out = [];
  for (let i = 1; i < ring.length; i++) {
    const dt = ring[i].up - ring[i - 1].up, dv = f(ring[i]) - f(ring[i - 1]);
    out.push(dt > 0 && dv > 0 ? dv / dt : 0);
  }
  return out;
}
// p50/p99 (µs) of the observations of histogram key `hk` over the last WINDOW samples, from bucket deltas.
function windowPercentiles(keys) {
  if (ring.length < 2) return [null, null];
  const b = ring[ring.length - 1], a = ring[Math.max(0, ring.length - 1 - WINDOW)];
  const counts = new Map();
  for (const hk of keys) {
    for (const [lo, hi, n] of b.h.get(hk) || []) counts.set(lo, { hi, n: (counts.get(lo) || { n: 0 }).n + n });
    for (const [lo, , n] of a.h.get(hk) || []) if (counts.has(lo)) counts.get(lo).n -= n;
  }
  const bins = [...counts.entries()].filter(([, x]) => x.n > 0).sort((x, y) => x[0] - y[0]);
  const all = bins.reduce((t, [, x]) => t + x.n, 0);
  if (!all) return [null, null];
  const at = (q) => { let c = 0; for (const [lo, x] of bins) { c += x.n; if (c >= q * all) return x.hi == null ? lo : x.hi; } return null; };
  return [at(0.5), at(0.99)];
}
function histKeys(s, name, label, value) {
  const out = [];
  for (const k of s.h.keys()) if (k.startsWith(name + '{') && (label == null || k.includes(label + '=' + value + '}') || k.includes(label + '=' + value + ','))) out.push(k);
  return out;
}

// ---- drawing ----
function spark(svg, values) {
  if (!svg) return;
  const v = values.slice(-KEEP), max = Math.max(1e-9, ...v);
  svg.classList.toggle('idle', max <= 1e-9);
  const pts = v.map((y, i) => (v.length < 2 ? 0 : i * 120 / (KEEP - 1) + (KEEP - v.length) * 120 / (KEEP - 1)).toFixed(1) + ',' + (27 - 25 * y / max).toFixed(1)).join(' ');
  let line = svg.firstChild;
  if (!line) { line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline'); svg.appendChild(line); }
  line.setAttribute('points', pts);
}
function sparkNode(values) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark'); svg.setAttribute('viewBox', '0 0 120 28'); svg.setAttribute('preserveAspectRatio', 'none');
  spark(svg, values);
  return svg;
}

// ---- health: what is wrong, in plain words, with where it comes from ----
function problems(d) {
  const out = [];
  for (const e of (d.config_errors && d.config_errors.errors) || []) {
    out.push({ where: e.line ? e.source + ':' + e.line : e.source, what: e.message });
  }
  const docker = d.info.docker;
  if (docker && !docker.synchronised) out.push({ where: 'docker ' + docker.endpoint, what: 'the Docker provider is not in step with the daemon (containers may be missing)' });
  if (d.box && !d.box.last_reload_succeeded) out.push({ where: d.info.config_source, what: 'the last configuration reload failed; the previous configuration keeps serving' });
  for (const s of d.services || []) for (const x of s.servers) if (x.status === 'DOWN') out.push({ where: 'service ' + s.name, what: 'server ' + x.target + ' is down' });
  for (const n of (d.swarm && d.swarm.nodes) || []) if (n.state !== 'up') out.push({ where: 'node ' + n.node_id.slice(0, 12) + ' (' + n.address + ')', what: 'its stoep does not answer: ' + (n.reason || '?') });
  for (const c of d.certificates || []) {
    if (c.generated || !c.not_after_s) continue;
    const days = (c.not_after_s - d.now_s) / 86400, names = c.names.join(', ');
    if (days < 0) out.push({ where: c.source, what: 'the certificate for ' + names + ' expired on ' + localTime(c.not_after_s) });
    else if (days < CERT_WARN_DAYS) out.push({ where: c.source, what: 'the certificate for ' + names + ' expires in ' + Math.floor(days) + ' days (' + localTime(c.not_after_s) + ')' });
  }
  const acme = d.info.acme || {};
  for (const p of acme.problems || []) out.push({ where: 'certificate resolvers', what: p });
  for (const [name, r] of Object.entries(acme)) {
    if (name === 'problems' || !r || !r.certificates) continue;
    for (const c of r.certificates) if (c.last_error) out.push({ where: 'resolver ' + name, what: c.names.join(', ') + ': ' + c.last_error });
  }
  return out;
}
function showHealth(d) {
  const list = problems(d), box = $('health');
  box.className = 'health ' + (list.length ? 'bad' : 'ok');
  box.dataset.problems = String(list.length);
  if (!list.length) {
    // Traefik's own routers and services (api@internal…) are not what a volunteer configured: not counted.
    const served = (d.services || []).filter((s) => s.status !== 'disabled' && s.provider !== 'internal').length;
    const routers = (d.routers || []).filter((r) => r.provider !== 'internal').length;
    put('health-title', 'All is well — ' + plural(routers, 'router') + ', ' + plural(served, 'service') + ' up, no configuration errors, providers in step, certificates valid for more than ' + CERT_WARN_DAYS + ' days');
    $('health-list').replaceChildren();
    return;
  }
  put('health-title', list.length === 1 ? '1 thing needs attention' : list.length + ' things need attention');
  $('health-list').replaceChildren(...list.map((p) => { const li = el('li'); li.appendChild(el('span', p.where, 'where')); li.appendChild(document.createTextNode(' — ' + p.what)); return li; }));
}

// ---- traffic ----
function showTraffic(d) {
  const s = ring[ring.length - 1], n = 5;
  const http = (x) => total(x, 'router_requests');
  put('http-rps', rate(rateOf(http, n)), rateOf(http, n));
  put('http-total', http(s).toLocaleString(), http(s));
  spark($('spark-http'), series(http));
  const cls = ['2xx', '3xx', '4xx', '5xx'].map((c) => [c, (x) => total(x, 'router_responses', { code_class: c })]);
  const f5 = cls[3][1];
  put('http-5xx', rate(rateOf(f5, n)), rateOf(f5, n));
  spark($('spark-5xx'), series(f5));
  put('http-classes', cls.map(([c, f]) => c + ' ' + rate(rateOf(f, n))).join(' · '));
  const [p50, p99] = windowPercentiles(histKeys(s, 'router_latency_us'));
  put('http-p50', micros(p50), p50 == null ? '' : p50); put('http-p99', micros(p99), p99 == null ? '' : p99);
  const conns = d.info.open_connections || 0;
  put('open-conns', conns.toLocaleString(), conns);
  spark($('spark-conns'), ring.map((x) => x.g.get('open_connections') || 0));
  const bin = (x) => total(x, 'router_bytes', { direction: 'in' }), bout = (x) => total(x, 'router_bytes', { direction: 'out' });
  put('bytes-out', bytes(rateOf(bout, n)) + '/s', rateOf(bout, n)); put('bytes-in', bytes(rateOf(bin, n)) + '/s', rateOf(bin, n));

  const routers = [...new Set([...s.c.keys()].filter((k) => k.startsWith('router_requests{')).map((k) => k.slice(23, -1)))].sort();
  const trafficRow = (kind, name, req, extra) => {
    const want = {}; want[kind] = name;
    const c = (cl) => (x) => total(x, kind + '_responses', Object.assign({ code_class: cl }, want));
    const [a, b] = windowPercentiles(histKeys(s, kind + '_latency_us', kind, name));
    return row([name, { t: rate(rateOf(req, n)), c: 'n', v: rateOf(req, n) }, sparkNode(series(req)),
      ...['2xx', '3xx', '4xx', '5xx'].map((cl) => ({ t: rate(rateOf(c(cl), n)), c: 'n' })),
      { t: micros(a), c: 'n' }, { t: micros(b), c: 'n' }, extra]);
  };
  fill('traffic-routers', routers.map((r) => {
    const req = (x) => x.c.get('router_requests{router=' + r + '}') || 0;
    return trafficRow('router', r, req, { t: req(s).toLocaleString(), c: 'n', v: req(s) });
  }), 'no routers', 10);
  const services = [...new Set([...s.c.keys()].filter((k) => k.startsWith('server_requests{service=')).map((k) => k.slice(24, k.indexOf(',server='))))].sort();
  fill('traffic-services', services.map((v) => {
    const req = (x) => total(x, 'server_requests', { service: v });
    const out = (x) => total(x, 'service_bytes', { service: v, direction: 'out' });
    return trafficRow('service', v, req, { t: bytes(rateOf(out, n)) + '/s', c: 'n' });
  }), 'no services with servers', 10);

  const dq = (x) => total(x, 'dns_queries');
  put('dns-qps', d.box.dns ? rate(rateOf(dq, n)) : 'off', rateOf(dq, n));
  put('dns-total', dq(s).toLocaleString(), dq(s));
  spark($('spark-dns'), series(dq));
  const parts = [['local', 'dns_answered_local'], ['forwarded', 'dns_forwarded'], ['cached', 'dns_answered_from_cache'], ['blocked', 'dns_blocked']];
  put('dns-split', parts.map(([l, c]) => l + ' ' + rate(rateOf((x) => total(x, c), n))).join(' · '));
  const fails = (x) => total(x, 'dns_upstream_failures') + total(x, 'dns_upstream_timeouts');
  put('dns-failures', fails(s).toLocaleString() + ' (' + rate(rateOf(fails, WINDOW)) + ')', fails(s));
  const dc = d.dns_clients || {};
  fill('dns-names', (dc.top_names || []).slice(0, 10).map((x) => row([{ t: x.name, c: 'where' }, { t: x.queries.toLocaleString(), c: 'n', v: x.queries }])), d.box.dns ? 'no queries yet' : 'DNS is off', 2);
  fill('dns-clients', (dc.clients || []).slice(0, 10).map((x) => row([{ t: x.address, c: 'where' }, ...[x.queries, x.blocked, x.cached, x.forwarded, x.local].map((v) => ({ t: v.toLocaleString(), c: 'n', v }))])), d.box.dns ? 'no clients yet' : 'DNS is off', 6);
}

// ---- configuration: redrawn only when it changed ----
function status(text) { return { t: text, c: 'st-' + text }; }
function showConfig(d) {
  const k = JSON.stringify([d.routers, d.services, d.certificates, d.info.docker, d.info.acme]);
  if (k === lastConfigKey) return;
  lastConfigKey = k;
  fill('config-routers', (d.routers || []).map((r) => {
    const st = el('td', r.status, 'st-' + r.status);
    for (const e of r.errors) { st.appendChild(el('div', e, 'err')); }
    const tr = row([r.name + (r.kind !== 'http' ? ' (' + r.kind.toUpperCase() + ')' : ''), '', { t: r.rule, c: 'where' }, r.entry_points.join(', '), r.middlewares.join(', '), r.service, r.tls || '', { t: r.origin || r.provider, c: 'where' }]);
    tr.replaceChild(st, tr.children[1]);
    return tr;
  }), 'no routers', 8);
  fill('config-services', (d.services || []).map((s) => {
    const servers = el('td');
    for (const x of s.servers) {
      const line = el('div'); line.appendChild(el('span', x.target, 'where'));
      if (x.weight !== undefined) line.appendChild(document.createTextNode(' ×' + x.weight));
      if (x.status) { line.appendChild(document.createTextNode(' ')); line.appendChild(el('span', x.status, 'st-' + x.status)); }
      servers.appendChild(line);
    }
    const st = el('td', s.status, 'st-' + s.status);
    for (const e of s.errors) st.appendChild(el('div', e, 'err'));
    const tr = row([s.name + (s.kind !== 'http' ? ' (' + s.kind.toUpperCase() + ')' : ''), '', '', s.used_by.join(', ')]);
    tr.replaceChild(st, tr.children[1]); tr.replaceChild(servers, tr.children[2]);
    return tr;
  }), 'no services', 4);
  fill('config-certificates', (d.certificates || []).map((c) => {
    const days = (c.not_after_s - d.now_s) / 86400;
    return row([{ t: c.names.join(', '), c: 'where' }, c.issuer || '–',
      { t: c.not_after_s ? localTime(c.not_after_s) + ' (' + Math.floor(days) + ' days)' : '–', c: days < CERT_WARN_DAYS && !c.generated ? 'st-DOWN' : '' },
      c.generated ? 'generated default' : c.source]);
  }), 'no certificates (TLS is off)', 4);
  const acme = $('acme'); acme.replaceChildren();
  for (const [name, r] of Object.entries(d.info.acme || {})) {
    if (name === 'problems' || !r || !r.certificates) continue;
    const p = el('p', 'Resolver ' + name + ' (' + r.kind + '): ' + r.certificates.length + ' certificates' + (r.next_check ? ', next check ' + localTime(r.next_check) : ''), 'mute');
    for (const c of r.certificates) {
      const state = c.last_error ? 'failing: ' + c.last_error : (c.renew_at ? 'renews ' + localTime(c.renew_at) : 'ordering');
      p.appendChild(el('div', c.names.join(', ') + ' — ' + state));
    }
    acme.appendChild(p);
  }
  const docker = d.info.docker;
  $('docker').textContent = docker
    ? 'Watching ' + docker.endpoint + (docker.synchronised ? ' (in step)' : ' (not in step)') + ': ' + docker.containers + ' running containers gave ' + docker.http_routers + ' HTTP and ' + docker.tcp_routers + ' TCP routers' + (docker.problems ? ', ' + docker.problems + ' problems (above)' : '') + '.'
    : 'The Docker provider is not enabled.';
  // What each container became: its routers and their services, grouped from the routers' origins.
  const made = new Map();
  for (const r of d.routers || []) {
    const m = /^docker container (.+)$/.exec(r.origin || '');
    if (!m) continue;
    const c = made.get(m[1]) || { routers: [], services: new Set() };
    c.routers.push(r.name + (r.kind !== 'http' ? ' (' + r.kind.toUpperCase() + ')' : ''));
    c.services.add(r.service);
    made.set(m[1], c);
  }
  fill('config-containers', [...made.keys()].sort().map((name) => {
    const c = made.get(name);
    return row([{ t: name, c: 'where' }, c.routers.join(', '), [...c.services].join(', ')]);
  }), docker ? 'no container defines a router' : 'the Docker provider is not enabled', 3);
}

// ---- the swarm's nodes (docs/cluster.md): a card each, only in a swarm ----
function showNodes(d) {
  const s = d.swarm, sec = $('nodes');
  if (!s || !s.nodes) { sec.hidden = true; return; }
  sec.hidden = false;
  $('node-cards').replaceChildren(...s.nodes.map((n) => {
    const up = n.state === 'up', c = el('div', null, 'tile node');
    c.dataset.node = n.node_id;
    c.dataset.state = n.state;
    c.appendChild(el('div', (up && n.hostname ? n.hostname : n.node_id.slice(0, 12)) + (n.self ? ' · this node' : ''), 'k'));
    c.appendChild(el('div', up ? 'up' : 'DOWN', 'v ' + (up ? 'st-UP' : 'st-DOWN')));
    if (up) {
      c.appendChild(el('div', num(n.http_requests) + ' HTTP · ' + num(n.dns_queries) + ' DNS', 's'));
      c.appendChild(el('div', 'for ' + duration(n.uptime_s) + ' · ' + plural(n.certificates, 'cert'), 's'));
    } else c.appendChild(el('div', n.reason || 'no answer', 's err'));
    c.appendChild(el('div', n.address, 's where'));
    return c;
  }));
  put('nodes-summary', s.nodes_up + ' up, ' + s.nodes_down + ' down · together ' + num(s.totals.http_requests) + ' HTTP requests, ' + num(s.totals.dns_queries) + ' DNS queries', s.nodes_up);
}

// ---- the box ----
function showBox(d) {
  const i = d.info, b = d.box, items = [
    ['Version', 'stoep ' + i.version],
    ['Up', duration(i.uptime_s) + ' (since ' + localTime(b.started_s) + ')'],
    ['Backend', i.backend + (i.backend_features && i.backend_features.length ? ' (' + i.backend_features.join(', ') + ')' : '')],
    ['Memory (RSS)', bytes(i.rss_bytes)],
    ['Load', b.load.map((x) => x.toFixed(2)).join(' · ') + ' (1, 5, 15 min)'],
    ['Open descriptors', b.open_fds.toLocaleString() + (b.fd_limit > 0 ? ' of ' + b.fd_limit.toLocaleString() : '')],
    ['Reloads', b.reloads + ' (' + b.reload_failures + ' failed); last ' + (b.last_reload_succeeded ? 'succeeded' : 'FAILED') + ', last good ' + localTime(b.last_reload_s)],
    ['Configuration', i.config_source],
  ];
  $('box').replaceChildren(...items.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

// ---- the loop ----
function connected(ok) {
  const c = $('conn');
  if (ok) { failingSince = null; c.className = 'conn'; c.textContent = 'live · updated ' + new Date().toLocaleTimeString(); return; }
  if (!failingSince) failingSince = new Date();
  c.className = 'conn down';
  c.textContent = 'stoep cannot be reached since ' + failingSince.toLocaleTimeString() + ' — retrying';
}
async function poll() {
  let wait = POLL_MS;
  try {
    const r = await fetch('live.json', { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const d = await r.json();
    // A restart (another pid, or uptime that went back): counters began again, so the history is dropped.
    if (lastPid !== null && (d.info.pid !== lastPid || (ring.length && d.info.uptime_s < ring[ring.length - 1].up))) ring.length = 0;
    lastPid = d.info.pid;
    ring.push(sample(d));
    if (ring.length > KEEP) ring.shift();
    last = d;
    showHealth(d); showNodes(d); showTraffic(d); showConfig(d); showBox(d);
    connected(true);
  } catch (e) {
    connected(false);
    wait = RETRY_MS;
  }
  setTimeout(poll, document.hidden ? Math.max(wait, 5000) : wait);
}
poll();
})();
"""#
}
