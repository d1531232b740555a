import { describe, expect, it } from 'vitest';
import { TickBudget } from '../../src/server/http/tick-budget.js';

describe('TickBudget: a token bucket of ticks per second', () => {
  it('lets batches in while it is not empty, goes into debt by the last one, and refills at its rate', () => {
    let now = 0;
    const budget = new TickBudget(1000, 2000, () => now);
    expect(budget.available()).toBe(true);
    budget.charge(1500);
    expect(budget.available()).toBe(true); // 500 left
    budget.charge(1500); // 1,000 in debt
    expect(budget.available()).toBe(false);
    expect(budget.waitMs()).toBe(1001);
    now += 1000;
    expect(budget.available()).toBe(false); // back to 0: not one tick yet
    now += 1;
    expect(budget.available()).toBe(true);
    expect(budget.waitMs()).toBe(0);
  });

  it('saves up at most its burst', () => {
    let now = 0;
    const budget = new TickBudget(1000, 2000, () => now);
    now += 3_600_000;
    budget.charge(2000);
    expect(budget.available()).toBe(false);
  });
});
