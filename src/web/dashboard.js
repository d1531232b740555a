/* global document, window, EventSource, ResizeObserver, performance, uPlot */
// Brain Lab: renders the state that GET /v1/events streams. Plain script, no build
// step; uPlot is served from node_modules by the service itself (no CDN).
(function () {
  'use strict';

  var IMPORTANCES = ['high_stakes', 'medium_stakes', 'low_stakes'];
  var SHORT = { high_stakes: 'high', medium_stakes: 'medium', low_stakes: 'low' };
  var TIER_COLORS = ['#6b7280', '#dc2626', '#ea580c', '#b45309', '#2563eb'];
  var IMPORTANCE_COLORS = { high_stakes: '#dc2626', medium_stakes: '#2563eb', low_stakes: '#15803d' };
  var MAX_CARDS = 12;
  var HISTORY = 300;
  var VIX_LEVEL = { calm: 0, elevated: 1, panic: 2 };
  var VIX_COLOR = '#7c3aed';

  var cards = new Map();
  var rateHistory = [[], [], [], [], [], []];
  var rateChart = null;
  var latest = null;
  var receivedAt = 0;
  var transitions = new Map(); // seq → transition, from the state and from `transition` events

  function $(testId) {
    return document.querySelector('[data-testid="' + testId + '"]');
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** 45 s · 12 min 05 s · 2 h 03 min */
  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '—';
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + pad(s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + pad(m % 60) + ' min';
  }

  /** A countdown: 1:19:59 or 4:05 */
  function countdown(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (h > 0 ? h + ':' + pad(m) : String(m)) + ':' + pad(s % 60);
  }

  function elapsedClockMs() {
    if (!latest) return 0;
    return (performance.now() - receivedAt) * latest.clock.timeScale;
  }

  function chartsAvailable() {
    return typeof uPlot === 'function';
  }

  function chartWidth(container) {
    return Math.max(200, Math.floor(container.getBoundingClientRect().width));
  }

  // ---- summary -----------------------------------------------------------

  function renderSummary(state) {
    var clock = $('clock-label');
    clock.textContent = state.clock.accelerated ? state.clock.label + ' (demo: tiers move fast)' : 'clock: ' + state.clock.kind + ', real time';
    clock.classList.toggle('accelerated', state.clock.accelerated);
    renderShadow(state.shadow);

    var store = state.store;
    var storeStatus = $('store-status');
    storeStatus.textContent = store.kind + (store.up ? ' · up' : ' · DOWN');
    storeStatus.className = 'big ' + (store.up ? 'ok' : 'bad');
    $('store-detail').textContent = store.up ? 'ping ' + store.latencyMs + ' ms' : store.error || 'unreachable';

    var failing = state.scopes.filter(function (s) { return s.failSafe.active; });
    var failsafe = $('failsafe-status');
    failsafe.textContent = failing.length ? 'ACTIVE' : 'off';
    failsafe.className = 'big ' + (failing.length ? 'bad' : 'ok');
    $('failsafe-detail').textContent = failing.length
      ? failing.map(function (s) { return s.scope + ': ' + s.failSafe.reason; }).join(', ')
      : 'decisions use the shared panic start';

    renderVixSummary(state.vix);

    $('rate-total').textContent = state.decisionsPerSecond.total.toFixed(1);
    renderTierChips($('rate-by-tier'), state.decisionsPerSecond.byTier);
    $('base-ttl').textContent = String(state.displayBaseTtl);
    $('worker-pid').textContent = String(state.worker.pid);

    var banner = $('alert-banner');
    banner.hidden = !state.alert.active;
    if (state.alert.active) {
      $('alert-title').textContent = 'Extended panic · tier ' + state.alert.tier + (state.shadow.active ? ' · shadow: not applied' : '');
      $('alert-text').textContent = state.alert.scopes
        .map(function (a) { return a.scope + ' ' + SHORT[a.importance] + ' stakes: tier ' + a.tier + ' (' + a.mode + ')'; })
        .join(' · ');
    }
  }

  function renderVixSummary(vix) {
    var summary = $('vix-summary');
    if (!vix) {
      summary.textContent = 'off';
      summary.className = 'big';
      $('vix-detail').textContent = 'this service has no VIX engine';
      return;
    }
    var panics = latest.scopes.filter(function (s) { return s.vix && s.vix.status === 'panic'; }).length;
    summary.textContent = panics ? panics + ' in panic' : 'no panic';
    summary.className = 'big ' + (panics ? 'bad' : 'ok');
    var where = vix.location === 'primary' ? 'cluster primary' : 'this process';
    $('vix-detail').textContent = vix.totalScopes + ' scopes · ' + vix.ticks.accepted + ' ticks, ' + vix.ticks.rejected + ' not used · engine in ' + where + (vix.publishing ? ', publishing' : '');
    vix.recent.forEach(rememberTransition);
    renderTransitions();
  }

  function rememberTransition(t) {
    transitions.set(t.seq, t);
    if (transitions.size > 20) transitions.delete(transitions.keys().next().value);
  }

  function renderTransitions() {
    var list = $('vix-transitions');
    list.textContent = '';
    var recent = Array.from(transitions.values()).sort(function (a, b) { return b.seq - a.seq; }).slice(0, 4);
    recent.forEach(function (t) {
      var item = el('li', 'to-' + t.to, t.at.slice(11, 19) + ' ' + t.scope + ' → ' + t.to);
      item.title = t.scope + ': ' + t.from + ' → ' + t.to + ' at ' + t.at + ' (tick time), index ' + t.index.toFixed(1);
      item.setAttribute('data-testid', 'vix-transition');
      list.appendChild(item);
    });
  }

  function renderTierChips(container, byTier) {
    container.textContent = '';
    byTier.forEach(function (rate, tier) {
      var chip = el('span', 'tier-chip t' + tier, 't' + tier + ' ' + rate.toFixed(1));
      chip.setAttribute('data-testid', container.getAttribute('data-testid') + '-' + tier);
      container.appendChild(chip);
    });
  }

  function pushRates(state) {
    var t = Date.parse(state.generatedAt) / 1000;
    var last = rateHistory[0];
    if (last.length && last[last.length - 1] >= t) return;
    rateHistory[0].push(t);
    for (var tier = 0; tier < 5; tier++) rateHistory[tier + 1].push(state.decisionsPerSecond.byTier[tier]);
    if (rateHistory[0].length > HISTORY) rateHistory.forEach(function (series) { series.shift(); });
    if (!chartsAvailable()) return;
    var container = $('rate-chart');
    if (!rateChart) {
      var series = [{}];
      for (var i = 0; i < 5; i++) series.push({ label: 'tier ' + i, stroke: TIER_COLORS[i], width: 2 });
      rateChart = new uPlot({ width: chartWidth(container), height: 120, series: series, axes: [{}, { size: 40 }], legend: { live: false } }, rateHistory, container);
      observeWidth(container, function (w) { rateChart.setSize({ width: w, height: 120 }); });
    } else {
      rateChart.setData(rateHistory);
    }
  }

  // ---- scopes ------------------------------------------------------------

  function orderScopes(scopes) {
    var global = scopes.filter(function (s) { return s.scope === 'global'; });
    var named = scopes.filter(function (s) { return s.scope !== 'global'; }).sort(function (a, b) {
      var pa = a.panic && a.panic.active ? 1 : 0;
      var pb = b.panic && b.panic.active ? 1 : 0;
      var va = a.vix ? VIX_LEVEL[a.vix.status] : -1;
      var vb = b.vix ? VIX_LEVEL[b.vix.status] : -1;
      return pb - pa || vb - va || b.maxTier - a.maxTier || b.decisionsPerSecond.total - a.decisionsPerSecond.total || (a.scope < b.scope ? -1 : 1);
    });
    return global.concat(named);
  }

  /** Live, or shadow mode: what callers are served instead of the tiers shown, and what vix-ttl would have changed so far. */
  function renderShadow(shadow) {
    var mode = $('mode-label');
    mode.textContent = shadow.active ? 'SHADOW MODE' : 'mode: live';
    mode.classList.toggle('shadow', shadow.active);
    var banner = $('shadow-banner');
    banner.hidden = !shadow.active;
    if (!shadow.active) return;
    var served = shadow.served;
    $('shadow-text').textContent = 'Callers are served their own base TTL (' + served.ttl + ' s, ' + served.mode + ', tier ' + served.tier + '). The tiers and TTLs below are what vix-ttl would decide: not applied.';
    $('shadow-totals').textContent = 'Would have served fresher data so far: ' + IMPORTANCES.map(function (importance) {
      var view = shadow.byImportance[importance];
      return SHORT[importance] + ' ' + view.fresherMinutes.toFixed(1) + ' min' + (view.freshMinutes > 0 ? ' (' + view.freshMinutes.toFixed(1) + ' at TTL 0)' : '');
    }).join(' · ');
  }

  function renderScopes(state) {
    var container = $('scopes');
    var ordered = orderScopes(state.scopes);
    var shown = ordered.slice(0, MAX_CARDS);
    var keep = new Set(shown.map(function (s) { return s.scope; }));
    cards.forEach(function (card, scope) {
      if (keep.has(scope)) return;
      if (card.chart) card.chart.destroy();
      if (card.vixChart) card.vixChart.destroy();
      card.root.remove();
      cards.delete(scope);
    });
    shown.forEach(function (view) {
      var card = cards.get(view.scope) || createCard(view.scope);
      updateCard(card, view, state);
      container.appendChild(card.root);
    });
    var more = $('more-scopes');
    more.hidden = ordered.length <= MAX_CARDS;
    more.textContent = ordered.length > MAX_CARDS ? ordered.length - MAX_CARDS + ' more scopes not shown (see /v1/state)' : '';
  }

  function createCard(scope) {
    var root = el('article', 'card scope');
    root.setAttribute('data-testid', 'scope-' + scope);
    var head = el('div', 'scope-head');
    head.appendChild(el('h3', '', scope));
    var badge = el('span', 'badge', 'calm');
    badge.setAttribute('data-testid', 'panic-' + scope);
    var since = el('span', 'muted');
    since.setAttribute('data-testid', 'duration-' + scope);
    head.append(badge, since);

    var vixRow = el('div', 'vix-row');
    vixRow.hidden = true;
    var vixBadge = el('span', 'vix-badge calm', 'calm');
    vixBadge.setAttribute('data-testid', 'vix-status-' + scope);
    var vix = el('span', 'vix');
    vix.setAttribute('data-testid', 'vix-' + scope);
    var vixPending = el('span', 'muted');
    vixPending.setAttribute('data-testid', 'vix-pending-' + scope);
    vixRow.append(vixBadge, vix, vixPending);

    var table = el('table', 'tiers');
    var thead = el('thead');
    var hr = el('tr');
    ['stakes', 'tier', 'mode', 'TTL', 'next tier in'].forEach(function (h) { hr.appendChild(el('th', '', h)); });
    hr.appendChild(el('th', 'served', 'served'));
    thead.appendChild(hr);
    var tbody = el('tbody');
    var rows = {};
    IMPORTANCES.forEach(function (importance) {
      var tr = el('tr');
      var cells = { tier: el('td', 'tier t0', '0'), mode: el('td', 'mode', 'NORMAL'), ttl: el('td', 'ttl', '—'), next: el('td', '', '—'), served: el('td', 'served', '—') };
      cells.tier.setAttribute('data-testid', 'tier-' + scope + '-' + importance);
      cells.ttl.setAttribute('data-testid', 'ttl-' + scope + '-' + importance);
      cells.next.setAttribute('data-testid', 'countdown-' + scope + '-' + importance);
      cells.served.setAttribute('data-testid', 'served-' + scope + '-' + importance);
      cells.served.title = 'what callers get in shadow mode: their base TTL';
      tr.append(el('td', '', SHORT[importance]), cells.tier, cells.mode, cells.ttl, cells.next, cells.served);
      tbody.appendChild(tr);
      rows[importance] = cells;
    });
    table.append(thead, tbody);

    var foot = el('div', 'scope-foot');
    var rates = el('div', 'tier-rates');
    rates.setAttribute('data-testid', 'rates-' + scope);
    var failsafe = el('span', 'failsafe', 'fail-safe: off');
    failsafe.setAttribute('data-testid', 'failsafe-' + scope);
    foot.append(el('span', 'muted', 'decisions/s'), rates, failsafe);

    var chart = el('div', 'chart');
    chart.setAttribute('data-testid', 'chart-' + scope);
    var vixChart = el('div', 'chart vix-chart');
    vixChart.setAttribute('data-testid', 'vix-chart-' + scope);
    vixChart.hidden = true;
    root.append(head, vixRow, table, foot, chart, vixChart);

    var card = {
      root: root, table: table, badge: badge, since: since, vixRow: vixRow, vixBadge: vixBadge, vix: vix, vixPending: vixPending, rows: rows, rates: rates, failsafe: failsafe,
      chartEl: chart, chart: null, vixChartEl: vixChart, vixChart: null, view: null, history: [[], [], [], []], vixHistory: [[], [], [], []],
    };
    cards.set(scope, card);
    return card;
  }

  function updateCard(card, view, state) {
    card.view = view;
    var active = !!(view.panic && view.panic.active);
    card.root.classList.toggle('panic', active);
    card.root.classList.toggle('extended', active && view.maxTier >= 3);
    card.badge.textContent = view.panic === null ? 'unknown' : active ? 'PANIC' : view.panic.inGrace ? 'calm (grace)' : 'calm';
    card.badge.className = 'badge ' + (view.panic === null ? 'unknown' : active ? 'on' : 'off');
    renderVix(card, view.vix);
    IMPORTANCES.forEach(function (importance) {
      var cells = card.rows[importance];
      var tier = view.tiers ? view.tiers[importance] : null;
      cells.tier.textContent = tier ? String(tier.tier) : '?';
      cells.tier.className = 'tier t' + (tier ? tier.tier : 0);
      cells.mode.textContent = tier ? tier.mode : view.error || 'unknown';
      cells.ttl.textContent = tier ? tier.ttl + ' s' : '—';
      cells.served.textContent = state.shadow.served ? state.shadow.served.ttl + ' s' : '—';
    });
    card.table.classList.toggle('shadow', state.shadow.active);
    renderTierChips(card.rates, view.decisionsPerSecond.byTier);
    card.failsafe.textContent = view.failSafe.active ? 'fail-safe: ' + view.failSafe.reason : 'fail-safe: off';
    card.failsafe.classList.toggle('on', view.failSafe.active);
    pushHistory(card, view, state);
    pushVixHistory(card, view, state);
  }

  function renderVix(card, vix) {
    card.vixRow.hidden = !vix;
    if (!vix) {
      card.vix.textContent = '';
      return;
    }
    card.vixBadge.textContent = 'VIX ' + vix.status;
    card.vixBadge.className = 'vix-badge ' + vix.status;
    card.vix.textContent = 'VIX ' + vix.index.toFixed(1) + ' · ' + vix.status;
    card.vixPending.textContent = vix.warm === false ? 'warming up' : '';
  }

  function pushVixHistory(card, view, state) {
    if (!view.vix) return;
    var t = Date.parse(state.generatedAt) / 1000;
    var h = card.vixHistory;
    if (h[0].length && h[0][h[0].length - 1] >= t) return;
    var thresholds = state.vix ? state.vix.thresholds : { elevated: { enter: 2 }, panic: { enter: 4 } };
    h[0].push(t);
    h[1].push(Math.max(view.vix.index, 0.01));
    h[2].push(thresholds.elevated.enter);
    h[3].push(thresholds.panic.enter);
    if (h[0].length > HISTORY) h.forEach(function (series) { series.shift(); });
    card.vixChartEl.hidden = false;
    if (!chartsAvailable()) return;
    if (!card.vixChart) {
      card.vixChart = new uPlot({
        width: chartWidth(card.vixChartEl),
        height: 110,
        series: [
          {},
          { label: 'VIX index', stroke: VIX_COLOR, width: 2 },
          { label: 'elevated', stroke: '#b45309', width: 1, dash: [4, 4] },
          { label: 'panic', stroke: '#dc2626', width: 1, dash: [4, 4] },
        ],
        scales: { y: { distr: 3, log: 10 } },
        axes: [{}, { size: 40 }],
        legend: { live: false },
      }, h, card.vixChartEl);
      observeWidth(card.vixChartEl, function (w) { if (card.vixChart) card.vixChart.setSize({ width: w, height: 110 }); });
    } else {
      card.vixChart.setData(h);
    }
  }

  function pushHistory(card, view, state) {
    var t = Date.parse(state.generatedAt) / 1000;
    var h = card.history;
    if (h[0].length && h[0][h[0].length - 1] >= t) return;
    h[0].push(t);
    IMPORTANCES.forEach(function (importance, i) { h[i + 1].push(view.tiers ? view.tiers[importance].tier : null); });
    if (h[0].length > HISTORY) h.forEach(function (series) { series.shift(); });
    if (!chartsAvailable()) return;
    if (!card.chart) {
      var series = [{}].concat(IMPORTANCES.map(function (importance) {
        return { label: SHORT[importance], stroke: IMPORTANCE_COLORS[importance], width: 2, paths: uPlot.paths.stepped({ align: 1 }) };
      }));
      card.chart = new uPlot({
        width: chartWidth(card.chartEl),
        height: 130,
        series: series,
        scales: { y: { range: [0, 4.2] } },
        axes: [{}, { size: 30, splits: [0, 1, 2, 3, 4] }],
        legend: { live: false },
      }, h, card.chartEl);
      observeWidth(card.chartEl, function (w) { if (card.chart) card.chart.setSize({ width: w, height: 130 }); });
    } else {
      card.chart.setData(h);
    }
  }

  function observeWidth(node, onWidth) {
    if (typeof ResizeObserver !== 'function') return;
    var last = 0;
    new ResizeObserver(function () {
      var w = chartWidth(node);
      if (Math.abs(w - last) > 2) {
        last = w;
        onWidth(w);
      }
    }).observe(node.parentNode);
  }

  // ---- live countdowns ------------------------------------------------------

  function tick() {
    if (!latest) return;
    var extra = elapsedClockMs();
    var scale = latest.clock.timeScale;
    cards.forEach(function (card) {
      var view = card.view;
      if (!view) return;
      var active = view.panic && view.panic.active;
      card.since.textContent = active ? 'for ' + duration(view.panic.durationMs + extra) : '';
      var pending = view.vix && view.vix.pending;
      if (pending) {
        var due = pending.inMs - extra;
        card.vixPending.textContent = '→ ' + pending.status + (due <= 0 ? ' now' : ' in ' + countdown(due));
      }
      IMPORTANCES.forEach(function (importance) {
        var tier = view.tiers ? view.tiers[importance] : null;
        var cell = card.rows[importance].next;
        if (!tier || tier.nextTierInMin === null) {
          cell.textContent = tier && tier.tier === 4 ? 'last tier' : '—';
          return;
        }
        var left = tier.nextTierInMin * 60000 - extra;
        cell.textContent = left <= 0 ? 'now' : countdown(left);
        if (left > 0 && scale > 1) cell.appendChild(el('span', 'real', ' (≈ ' + duration(left / scale) + ' real)'));
      });
    });
  }

  // ---- connection --------------------------------------------------------

  function setConnection(text, ok) {
    var pill = $('connection');
    pill.textContent = text;
    pill.classList.toggle('live', ok);
    pill.classList.toggle('down', !ok);
  }

  function onState(state) {
    latest = state;
    receivedAt = performance.now();
    renderSummary(state);
    renderScopes(state);
    pushRates(state);
    tick();
    document.body.setAttribute('data-updated', state.generatedAt);
  }

  function connect() {
    var source = new EventSource('/v1/events');
    source.addEventListener('open', function () { setConnection('live', true); });
    source.addEventListener('error', function () { setConnection('reconnecting…', false); });
    source.addEventListener('transition', function (event) {
      try {
        rememberTransition(JSON.parse(event.data));
        renderTransitions();
      } catch (error) {
        setConnection('bad event: ' + error.message, false);
      }
    });
    source.addEventListener('state', function (event) {
      try {
        onState(JSON.parse(event.data));
      } catch (error) {
        setConnection('bad event: ' + error.message, false);
      }
    });
  }

  connect();
  window.setInterval(tick, 250);
})();
