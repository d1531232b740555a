import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IMPORTANCES } from '../../src/policy/importance.js';
import { PanicMode } from '../../src/policy/panic-mode.js';
import { useRedisServer } from '../support/use-redis-server.js';
import { cli } from './run-cli.js';

// The one shape of each command's --json output, as README documents it. Strict: a key
// added or lost is a change of contract and fails here.
const importance = z.enum(IMPORTANCES);
const mode = z.enum(Object.values(PanicMode) as [string, ...string[]]);
const tier = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

const decisionShape = z.strictObject({
  ttl: z.number(),
  mode,
  tier,
  importance,
  panicDurationMin: z.number().nullable(),
  nextTierInMin: z.number().nullable(),
  failSafe: z.boolean(),
  reason: z.string().nullable(),
});

const planShape = z.strictObject({
  baseTtl: z.number(),
  match: z.strictObject({ league: z.string().nullable(), matchType: z.string().nullable(), importance: importance.nullable() }).nullable(),
  plans: z.array(
    z.strictObject({
      importance,
      tiers: z.array(z.strictObject({ tier, mode, fromMin: z.number(), untilMin: z.number().nullable(), ttl: z.number() })).length(4),
    }),
  ),
});

const statusShape = z.strictObject({
  scope: z.string(),
  location: z.string(),
  active: z.boolean(),
  inGrace: z.boolean(),
  startedAtMs: z.number().nullable(),
  durationMs: z.number().nullable(),
  expiresInMs: z.number().nullable(),
  raw: z.string().nullable(),
  corrupt: z.strictObject({ reason: z.string(), raw: z.string(), rawLength: z.number() }).nullable(),
  clockNowMs: z.number(),
  baseTtl: z.number(),
  decisions: z.array(decisionShape).length(3),
});

const resetShape = z.strictObject({ scope: z.string(), key: z.string(), ended: z.boolean() });

const replayShape = z.strictObject({
  file: z.string(),
  format: z.enum(['csv', 'jsonl']),
  ticks: z.strictObject({ total: z.number(), accepted: z.number(), rejected: z.number(), byReason: z.record(z.string(), z.number()) }),
  fromTs: z.number().nullable(),
  untilTs: z.number().nullable(),
  from: z.string().nullable(),
  until: z.string().nullable(),
  baseTtl: z.number(),
  options: z.record(z.string(), z.unknown()),
  scopes: z.array(
    z.strictObject({
      scope: z.string(),
      finalStatus: z.enum(['calm', 'elevated', 'panic']),
      maxIndex: z.number(),
      ticks: z.number(),
      transitions: z.array(z.strictObject({ ts: z.number(), from: z.string(), to: z.string(), index: z.number(), cause: z.string() })),
      panics: z.array(
        z.strictObject({
          startTs: z.number(),
          endTs: z.number().nullable(),
          durationMin: z.number(),
          tiers: z.record(importance, z.array(z.strictObject({ ts: z.number(), afterMin: z.number(), tier, mode: z.string(), ttl: z.number() }))),
        }),
      ),
    }),
  ),
  shadow: z
    .strictObject({
      baseTtl: z.number(),
      everyMs: z.number(),
      decisions: z.number(),
      totals: z.array(z.strictObject({ importance, tier, outcome: z.enum(['same', 'fresher', 'staler']), decisions: z.number(), ttlDifferenceSeconds: z.number(), servedSeconds: z.number() })),
      byImportance: z.record(
        importance,
        z.strictObject({
          fresherMin: z.number(),
          freshMin: z.number(),
          fresherMinByTier: z.array(z.number()).length(5),
          sameMin: z.number(),
          decisions: z.number(),
          fresherDecisions: z.number(),
          meanGapSeconds: z.number(),
        }),
      ),
    })
    .nullable(),
  report: z.string().nullable(),
});

async function json(args: string[]): Promise<unknown> {
  const { code, out, err } = await cli(args);
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out);
}

describe('--json: one stable shape per command', () => {
  it('plan: the same shape with and without a match (one plan, or one per importance)', async () => {
    const all = planShape.parse(await json(['plan', '--json']));
    expect(all.plans.map((p) => p.importance)).toEqual(IMPORTANCES);
    expect(all.match).toBeNull();
    const one = planShape.parse(await json(['plan', '--league', 'UCL', '--base-ttl', '30', '--json']));
    expect(one).toMatchObject({ baseTtl: 30, match: { league: 'UCL', matchType: null, importance: null }, plans: [{ importance: 'high_stakes' }] });
    expect(one.plans).toHaveLength(1);
    planShape.parse(await json(['plan', '--importance', 'low_stakes', '--match-type', 'final', '--json']));
  });

  it('decide: every field present whatever the status, reason null without fail-safe', async () => {
    for (const args of [['--status', 'calm'], ['--status', 'elevated'], ['--status', 'panic', '--minutes', '0'], ['--status', 'panic', '--minutes', '500', '--league', 'Ligue 2']]) {
      const decision = decisionShape.parse(await json(['decide', ...args, '--json']));
      expect(decision.reason).toBeNull();
    }
  });

  it('replay: the same shape for CSV and JSON lines', async () => {
    expect(replayShape.parse(await json(['replay', 'examples/goal-shock.jsonl', '--json']))).toMatchObject({ format: 'jsonl', report: null });
    expect(replayShape.parse(await json(['replay', 'examples/calm-day.csv', '--json']))).toMatchObject({ format: 'csv', shadow: null });
    expect(replayShape.parse(await json(['replay', 'examples/goal-shock.jsonl', '--shadow', '--json'])).shadow).toMatchObject({ baseTtl: 60 });
  });

  describe('on a real redis-server', () => {
    const redis = useRedisServer();

    it('status: the same shape calm, in panic and with a corrupt value', async () => {
      const admin = redis.server.client();
      const calm = statusShape.parse(await json(['status', '--redis', redis.server.url, '--json']));
      expect(calm).toMatchObject({ scope: 'global', active: false, startedAtMs: null, corrupt: null, baseTtl: 60 });
      const [seconds] = await admin.time();
      await admin.set('brain:panic_start_ts:ucl', String(Number(seconds) - 600), 'EX', 86_400);
      const panic = statusShape.parse(await json(['status', '--redis', redis.server.url, '--scope', 'ucl', '--base-ttl', '30', '--json']));
      expect(panic).toMatchObject({ active: true, baseTtl: 30 });
      expect(panic.decisions.map((d) => d.importance)).toEqual(IMPORTANCES);
      await admin.set('brain:panic_start_ts:bad', 'garbage');
      expect(statusShape.parse(await json(['status', '--redis', redis.server.url, '--scope', 'bad', '--json'])).corrupt).toMatchObject({ reason: 'unparsable' });
    });

    it('reset: the same shape whether there was a panic or not; --key-prefix and the file’s redis.keyPrefix choose the key', async () => {
      expect(resetShape.parse(await json(['reset', '--redis', redis.server.url, '--scope', 'ucl', '--json']))).toEqual({ scope: 'ucl', key: 'brain:panic_start_ts:ucl', ended: true });
      expect(resetShape.parse(await json(['reset', '--redis', redis.server.url, '--scope', 'ucl', '--json']))).toEqual({ scope: 'ucl', key: 'brain:panic_start_ts:ucl', ended: false });
      expect(resetShape.parse(await json(['reset', '--redis', redis.server.url, '--key-prefix', 'other:p', '--json']))).toMatchObject({ key: 'other:p' });
      const file = join(mkdtempSync(join(tmpdir(), 'vix-reset-')), 'vix-ttl.json');
      writeFileSync(file, JSON.stringify({ redis: { url: redis.server.url, keyPrefix: 'cfg:p' } }));
      await redis.server.client().set('cfg:p:ucl', '1', 'EX', 60);
      expect(await json(['reset', '--config', file, '--scope', 'ucl', '--json'])).toEqual({ scope: 'ucl', key: 'cfg:p:ucl', ended: true }); // the file's URL and prefix
      expect(await json(['reset', '--config', file, '--key-prefix', 'flag:p', '--scope', 'ucl', '--json'])).toMatchObject({ key: 'flag:p:ucl', ended: false }); // the flag wins
      rmSync(dirname(file), { recursive: true, force: true });
    });
  });
});
