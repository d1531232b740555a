import { describe, expect, it } from 'vitest';
import { MemoryPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { captureLogger } from '../support/capture-logger.js';

const MINUTE = 60_000;

describe('state-change log lines are bounded: thousands of scopes changing together write 100 lines a second, then say how many were left out', () => {
  it('300 scopes that fail safe in the same second: 100 WARN lines, then one line counting the 200 others by event', async () => {
    const { logger, lines } = captureLogger('info');
    let nowMs = 1_000_000;
    const breaker = new VixCircuitBreaker({ clock: null, logger, now: () => nowMs });
    for (let i = 0; i < 300; i += 1) await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `match-${i}` });
    const warned = lines.filter((line) => line.msg === 'PANIC_WITHOUT_RELIABLE_TIMESTAMP');
    expect(warned).toHaveLength(100);
    expect(lines.filter((line) => line.msg === 'VIX_TTL_STATE_CHANGES_NOT_LOGGED')).toHaveLength(0);

    nowMs += 1000; // the next second: any decision says what the last one left out
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'match-0' });
    const summaries = lines.filter((line) => line.msg === 'VIX_TTL_STATE_CHANGES_NOT_LOGGED');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 40, not_logged: 200, by_event: { PANIC_WITHOUT_RELIABLE_TIMESTAMP: 200 }, max_per_second: 100 });

    nowMs += 5000; // said once
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'match-1' });
    expect(lines.filter((line) => line.msg === 'VIX_TTL_STATE_CHANGES_NOT_LOGGED')).toHaveLength(1);
    breaker.close();
  });

  it('a scope whose change was not logged still logs its next change, and a few changes a second are all logged', async () => {
    const { logger, lines } = captureLogger('info');
    let nowMs = 1_000_000;
    const clock = new MemoryPanicClock({ now: () => nowMs });
    const breaker = new VixCircuitBreaker({ clock, logger, now: () => nowMs, syncIntervalMs: 0 });
    for (let i = 0; i < 150; i += 1) await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `match-${i}` });
    expect(lines.filter((line) => line.msg === 'VIX_TTL_STATE_CHANGE')).toHaveLength(100);

    nowMs += 61 * MINUTE; // medium stakes: tier 1 → tier 2 for every scope, one at a time over seconds
    for (let i = 100; i < 110; i += 1) {
      nowMs += 1000;
      await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `match-${i}` });
    }
    const later = lines.filter((line) => line.msg === 'VIX_TTL_STATE_CHANGE' && line.tier === 2);
    expect(later.map((line) => line.scope)).toEqual(Array.from({ length: 10 }, (_, i) => `match-${100 + i}`));
    expect(lines.filter((line) => line.msg === 'VIX_TTL_STATE_CHANGES_NOT_LOGGED')).toMatchObject([{ not_logged: 50, by_event: { VIX_TTL_STATE_CHANGE: 50 } }]);
    breaker.close();
  });
});
