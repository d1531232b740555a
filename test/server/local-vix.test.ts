import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError, MemoryPanicClock } from '../../src/index.js';
import { createServer } from '../../src/server/http/create-server.js';
import { LocalVix, type LocalVixOptions } from '../../src/server/vix/local-vix.js';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { checkResponse } from '../support/openapi-conformance.js';

const START = Date.UTC(2024, 4, 18, 13, 0);
const MINUTE = 60_000;

/** Twelve calm scopes s01…s12, and shocks (returns ×10) in s03 and s07 during the last minutes. */
function twelveScopes(): Array<{ ts: number }> {
  const scopes = Array.from({ length: 12 }, (_, i) => ({ scope: `s${String(i + 1).padStart(2, '0')}`, markets: 3, meanGapMs: 1500 }));
  const events = ['s03', 's07'].map((scope) => ({ scope, atMs: 10 * MINUTE, durationMs: 2 * MINUTE, volatility: 10, jump: 0.3 }));
  return [...simulateTicks({ seed: 3, startMs: START, durationMs: 12 * MINUTE, scopes, events })].map((r) => r.tick as { ts: number });
}

/** A LocalVix on a wall clock that the ticks are fed along, ten seconds at a time (as a live feed arrives). */
function liveVix(options: Omit<LocalVixOptions, 'now' | 'idleCheckMs'>): { local: LocalVix; feed: (ticks: Array<{ ts: number }>) => void } {
  let now = START;
  const local = new LocalVix({ ...options, now: () => now, idleCheckMs: 0 });
  const feed = (ticks: Array<{ ts: number }>) => {
    for (let from = 0; from < ticks.length; ) {
      now += 10_000;
      let to = from;
      while (to < ticks.length && ticks[to]!.ts <= now) to += 1;
      local.ingestNow(ticks.slice(from, to));
      from = to;
    }
  };
  return { local, feed };
}

describe('LocalVix: what the service shows of its engine stays bounded', () => {
  it('a view lists global, then the panicking scopes by index, then the rest, at most maxScopes besides global', () => {
    const { local, feed } = liveVix({ clock: null, maxScopes: 3 });
    feed(twelveScopes());
    const view = local.view();
    expect(view.totalScopes).toBe(13);
    expect(view.scopes).toHaveLength(4);
    expect(view.scopes[0]!.scope).toBe('global');
    expect(view.scopes.slice(1, 3).map((s) => s.scope).sort()).toEqual(['s03', 's07']);
    expect(view.scopes.slice(1, 3).every((s) => s.status === 'panic')).toBe(true);
    expect(view.scopes[1]!.index).toBeGreaterThanOrEqual(view.scopes[2]!.index);
    expect(view.publishing).toBe(false);
    expect(local.view()).toBe(view); // nothing changed: the same sample
  });

  it('per-scope metric series follow the view; transitions of scopes past maxScopes count as ~other', async () => {
    const { local, feed } = liveVix({ clock: null, maxScopes: 1 });
    const registry = new Registry();
    local.instrument(registry);
    feed(twelveScopes());
    const text = await registry.metrics();
    expect([...text.matchAll(/^vix_ttl_vix_index\{scope="([^"]+)"\}/gm)].map((m) => m[1])).toHaveLength(2);
    expect(text).toMatch(/^vix_ttl_vix_index\{scope="global"\} /m);
    const toPanic = [...text.matchAll(/^vix_ttl_vix_status_transitions_total\{scope="([^"]+)",from="calm",to="panic"\} (\d+)$/gm)].map((m) => `${m[1]}=${m[2]}`);
    // The first shocked scope keeps its label; the next one (and any later scope) counts as ~other.
    expect(toPanic.sort()).toEqual([expect.stringMatching(/^s(03|07)=1$/), '~other=1']);
    const scopeLabels = new Set([...text.matchAll(/^vix_ttl_vix_status_transitions_total\{scope="([^"]+)"/gm)].map((m) => m[1]));
    expect(scopeLabels.size).toBeLessThanOrEqual(3); // global, one named scope, ~other
    expect(text).toMatch(/^vix_ttl_vix_scopes 13$/m);
    expect(local.instrument(new Registry())).toBe(local.instrument(registry)); // once per LocalVix
  });

  it('rejects bad options at construction, naming the field', () => {
    expect(() => new LocalVix({ clock: null, maxScopes: 0 })).toThrow(InvalidConfigError);
    expect(() => new LocalVix({ clock: null, maxScopes: 0 })).toThrow(/^LocalVix\.maxScopes: /);
    expect(() => new LocalVix({ clock: {} as MemoryPanicClock })).toThrow(/^LocalVix\.clock: /);
    expect(() => new LocalVix({ clock: null, engine: { panic: { enter: 2, exit: 3 } } })).toThrow(/VixEngine\.panic\.exit/);
    // The logger it hands to its publisher is checked here, under its own name, as the publisher checks it.
    expect(() => new LocalVix({ clock: new MemoryPanicClock(), logger: { info: () => undefined } as never })).toThrow('LocalVix.logger: must have info, warn and debug methods (a pino logger fits)');
  });

  it('the service’s maxPanicScopes, maxTickAgeMs and engine options reach the engine and the publisher it builds', async () => {
    const server = await createServer({ clock: new MemoryPanicClock(), maxPanicScopes: 7, maxTickAgeMs: 120_000, vixEngine: { warmupMs: 0, minMarkets: 2 } });
    try {
      const local = server.vix as LocalVix;
      expect(local.publisher!.panicScopes).toEqual({ held: 0, max: 7 });
      expect(local.engine.options).toMatchObject({ warmupMs: 0, minMarkets: 2, maxLagMs: 120_000 });
    } finally {
      await server.app.close();
    }
    // The engine's lag bound follows the service's tick age up to half of its scopeIdleMs, unless set.
    expect(new LocalVix({ clock: null, maxTickAgeMs: 3_600_000, idleCheckMs: 0 }).engine.options.maxLagMs).toBe(900_000);
    expect(new LocalVix({ clock: null, maxTickAgeMs: 60_000, engine: { maxLagMs: 30_000 }, idleCheckMs: 0 }).engine.options.maxLagMs).toBe(30_000);
    expect(() => new LocalVix({ clock: null, maxTickAgeMs: 10 })).toThrow(/^LocalVix\.maxTickAgeMs: /);
  });

  it('createServer refuses a vixSource that is not one, and null turns the engine and /v1/ticks off', async () => {
    await expect(createServer({ clock: new MemoryPanicClock(), vixSource: {} as LocalVix })).rejects.toThrow(/^createServer\.vixSource: /);
    const server = await createServer({ clock: new MemoryPanicClock(), vixSource: null });
    try {
      const response = await server.app.inject({ method: 'POST', url: '/v1/ticks', payload: { ticks: [] } });
      expect(response.statusCode).toBe(404);
      checkResponse({ method: 'POST', url: '/v1/ticks', status: response.statusCode, headers: response.headers, body: response.body }); // documented: no engine, no route
      const state = await server.app.inject({ url: '/v1/state' });
      checkResponse({ method: 'GET', url: '/v1/state', status: state.statusCode, headers: state.headers, body: state.body });
      expect(JSON.parse(state.body).vix).toBeNull();
    } finally {
      await server.app.close();
    }
  });
});
