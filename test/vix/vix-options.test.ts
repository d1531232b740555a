import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/core/errors.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import type { VixEngineOptions } from '../../src/vix/vix-options.js';
import { thrown } from '../support/thrown.js';

describe('VixEngine options', () => {
  it('have defaults, are frozen, and merge a partial level', () => {
    const engine = new VixEngine({ panic: { enter: 5 } });
    expect(engine.options).toMatchObject({
      fastHalfLifeMs: 15_000,
      slowHalfLifeMs: 900_000,
      warmupReturns: 100,
      warmupMs: 300_000,
      elevated: { enter: 2, exit: 1.5, enterDelayMs: 10_000, exitDelayMs: 30_000 },
      panic: { enter: 5, exit: 2, enterDelayMs: 10_000, exitDelayMs: 60_000 },
      spikeCap: 20,
      freezeBaseline: true,
      minMarkets: 3,
      maxLeadMs: 300_000,
      maxLagMs: 300_000,
      timeQuorum: 2,
      quorumShare: 0.5,
      leapQuorum: 4,
      leapTicks: 16,
    });
    expect(Object.isFrozen(engine.options)).toBe(true);
    expect(Object.isFrozen(engine.options.panic)).toBe(true);
  });

  const BAD: Array<[string, VixEngineOptions | object, string, RegExp]> = [
    ['panic enter ≤ exit', { panic: { enter: 3, exit: 3 } }, 'VixEngine.panic.exit', /must be lower than panic.enter \(3\), got 3/],
    ['elevated enter < exit', { elevated: { enter: 1.2, exit: 1.5 } }, 'VixEngine.elevated.exit', /must be lower than elevated.enter/],
    ['panic entered below elevated', { panic: { enter: 1.8, exit: 1.6 } }, 'VixEngine.panic.enter', /must be ≥ elevated.enter \(2\)/],
    ['panic left below elevated', { elevated: { enter: 2, exit: 1.9 }, panic: { enter: 4, exit: 1.8 } }, 'VixEngine.panic.exit', /must be ≥ elevated.exit \(1.9\)/],
    ['fast not faster than slow', { fastHalfLifeMs: 900_000 }, 'VixEngine.fastHalfLifeMs', /must be shorter than slowHalfLifeMs/],
    ['a negative delay', { panic: { enterDelayMs: -1 } }, 'VixEngine.panic.enterDelayMs', /./],
    ['a zero threshold', { elevated: { exit: 0 } }, 'VixEngine.elevated.exit', /./],
    ['a fractional warm-up count', { warmupReturns: 2.5 }, 'VixEngine.warmupReturns', /./],
    ['a spike cap below 1', { spikeCap: 0.5 }, 'VixEngine.spikeCap', /./],
    ['an unknown option', { fastHalflife: 10 }, 'VixEngine', /unknown key "fastHalflife"/],
    ['an unknown level option', { panic: { enterDelay: 10 } }, 'VixEngine.panic', /unknown key "enterDelay"/],
    ['hooks that are not an object', { hooks: 'metrics' }, 'VixEngine.hooks', /must be an object of hook functions/],
    ['a string where a number belongs', { maxScopes: '10' }, 'VixEngine.maxScopes', /./],
    ['a lag bound past half of scopeIdleMs', { scopeIdleMs: 600_000, maxLagMs: 300_001 }, 'VixEngine.maxLagMs', /must be at most half of scopeIdleMs \(300000\), got 300001/],
    ['no market needed to warm up', { minMarkets: 0 }, 'VixEngine.minMarkets', /./],
    ['a quorum share of 0', { quorumShare: 0 }, 'VixEngine.quorumShare', /./],
    ['a quorum share over 1', { quorumShare: 1.5 }, 'VixEngine.quorumShare', /./],
    ['a fractional leap quorum', { leapQuorum: 2.5 }, 'VixEngine.leapQuorum', /./],
  ];
  for (const [what, options, field, message] of BAD) {
    it(`rejects ${what} with an InvalidConfigError naming ${field}`, () => {
      const error = thrown(() => new VixEngine(options as VixEngineOptions));
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).field).toBe(field);
      expect((error as InvalidConfigError).code).toBe('VIX_TTL_INVALID_CONFIG');
      expect((error as Error).message).toMatch(message);
    });
  }
});
