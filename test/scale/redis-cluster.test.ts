import { describe, expect, it } from 'vitest';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, tagIndexKey, VixCircuitBreaker } from '../../src/index.js';
import { redisKeySlot } from '../../src/core/redis-key-slot.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { startWorkers, stopWorkers } from '../support/spawn-workers.js';
import { untilDecided } from '../support/until-settled.js';
import { useRedisCluster } from '../support/use-redis-cluster.js';

const KEY = 'brain:panic_start_ts';
const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } } as const;
const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;

describe('RedisPanicClock on a real 3-master Redis Cluster', () => {
  const redis = useRedisCluster(3);

  it('keeps each scope in one slot: the script runs, and named scopes spread over the masters', async () => {
    const clock = new RedisPanicClock(redis.client, { timeoutMs: 1000 });
    const scopes = Array.from({ length: 12 }, (_, i) => `league-${i}`);
    for (const scope of scopes) expect((await clock.observe(scope, 'panic')).created).toBe(true);
    const owners = new Set(await Promise.all(scopes.map(async (s) => (await redis.cluster.ownerOf(clock.keyFor(s))).port)));
    expect(owners.size).toBeGreaterThan(1);
    for (const scope of scopes) expect((await clock.observe(scope, 'calm')).active).toBe(false);
  });

  it('8 real processes racing on a fresh panic leave one start and all decide tier 1', async () => {
    await redis.client.del(KEY);
    const workers = await startWorkers('breaker-worker.ts', 8, [redis.cluster.url, '0']);
    try {
      const at = Date.now() + 300;
      for (const w of workers) w.send({ at, observe: true, input: { baseTtl: 60, vixStatus: 'panic' } });
      const observations = (await Promise.all(workers.map((w) => w.next()))).map((a) => a.observation as { created: boolean; startedAtMs: number });
      expect(observations.filter((o) => o.created)).toHaveLength(1);
      expect(new Set(observations.map((o) => o.startedAtMs)).size).toBe(1);
      for (const w of workers) w.send({ input: PANIC });
      const decisions = (await Promise.all(workers.map((w) => w.next()))).map((a) => a.decision as { tier: number; ttl: number; failSafe: boolean });
      expect(decisions.every((d) => d.tier === 1 && d.ttl === 0 && !d.failSafe)).toBe(true);
    } finally {
      stopWorkers(workers);
    }
  }, 40_000);

  it('computes the hash slot of a key as the cluster does (hash tags included)', async () => {
    const probe = redis.cluster.nodes[0]!.client();
    const keys = ['brain:panic_start_ts', 'brain:panic_start_ts:ligue-1', '{brain}:panic_start_ts:m-7', 'a{}b', 'a{b', '{}', 'x{y}z{w}', ...Array.from({ length: 50 }, (_, i) => `brain:panic_start_ts:m-${i}`)];
    for (const key of keys) expect(redisKeySlot(key), key).toBe(Number(await probe.call('CLUSTER', 'KEYSLOT', key)));
    probe.disconnect();
  });

  it('observeMany splits a batch by hash slot: 60 scopes over the three masters, each answered as observe would', async () => {
    const clock = new RedisPanicClock(redis.client, { timeoutMs: 2000 });
    const scopes = Array.from({ length: 60 }, (_, i) => `batch-${i}`);
    const started = await clock.observeMany(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
    expect(started.every((r) => r.ok && r.observation.created)).toBe(true);
    const owners = new Set(await Promise.all(scopes.map(async (s) => (await redis.cluster.ownerOf(clock.keyFor(s))).port)));
    expect(owners.size).toBe(3);
    const read = await clock.observeMany(scopes.map((scope) => ({ scope, kind: 'read' as const })));
    expect(read.map((r) => r.ok && r.observation.startedAtMs)).toEqual(started.map((r) => r.ok && r.observation.startedAtMs));
    const ended = await clock.observeMany(scopes.map((scope) => ({ scope, kind: 'calm' as const })));
    expect(ended.every((r) => r.ok && !r.observation.active)).toBe(true);
    for (const scope of scopes.slice(0, 5)) expect((await clock.inspect(scope)).active).toBe(false);
  });

  it('with a hash-tagged keyPrefix every scope is in one slot: a breaker refreshing 500 scopes sends one script per round, to one master', async () => {
    const keyPrefix = '{vix}:panic_start_ts';
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.client, { keyPrefix, timeoutMs: 2000 }), syncIntervalMs: 100, timeoutMs: 2000, maxPanicScopes: 10_000 });
    const scopes = Array.from({ length: 500 }, (_, i) => `tagged-${i}`);
    await Promise.all(scopes.map((scope) => breaker.getTtl({ ...PANIC, scope })));
    const owner = await redis.cluster.ownerOf(`${keyPrefix}:tagged-0`);
    const admins = redis.cluster.nodes.map((node) => node.client());
    const before = await Promise.all(admins.map((admin) => commandCalls(admin)));
    let next = 0;
    const until = performance.now() + 1000;
    while (performance.now() < until) {
      for (let i = 0; i < 64; i += 1) expect((await breaker.getTtl({ ...PANIC, scope: scopes[next++ % scopes.length] })).failSafe).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const sent = await Promise.all(admins.map(async (admin, i) => {
      const delta = diffCalls(before[i]!, await commandCalls(admin));
      return (delta.evalsha ?? 0) + (delta.eval ?? 0);
    }));
    const ownerIndex = redis.cluster.nodes.indexOf(owner);
    expect(sent.filter((_, i) => i !== ownerIndex).every((n) => n === 0)).toBe(true);
    expect(sent[ownerIndex]).toBeGreaterThan(0);
    expect(sent[ownerIndex]).toBeLessThanOrEqual(Math.ceil(1000 / 50) + 2); // one script (500 keys) per round, at most two rounds per interval
    for (const admin of admins) admin.disconnect();
    await breaker.close();
  });

  it('calm scopes on the batch fast path: one EXISTS over many keys of one slot (hash-tagged prefix) and over scopes spread on every master, no error, answered as a fresh clock reads', async () => {
    const admins = redis.cluster.nodes.map((node) => node.client());
    for (const keyPrefix of ['{calm}:panic_start_ts', 'calm:panic_start_ts']) {
      const scopes = Array.from({ length: 300 }, (_, i) => `calm-${i}`);
      const reads = scopes.map((scope) => ({ scope, kind: 'read' as const }));
      const clock = new RedisPanicClock(redis.client, { keyPrefix, timeoutMs: 2000 });
      const [s] = await redis.client.time();
      // Odd scopes hold a start, even ones are calm (no key): the clock learns them 'n'.
      for (let i = 1; i < scopes.length; i += 2) await redis.client.set(clock.keyFor(scopes[i]!), String(Number(s) - 60 - i), 'EX', 86_400);
      const truth = async () => (await new RedisPanicClock(redis.client, { keyPrefix, timeoutMs: 2000 }).observeMany(reads)).map((r) => (r.ok ? r.observation.startedAtMs : r.error.message));
      const startsOf = async () => (await clock.observeMany(reads)).map((r) => (r.ok ? r.observation.startedAtMs : r.error.message));
      expect(await startsOf(), keyPrefix).toEqual(await truth());
      const before = await Promise.all(admins.map((admin) => commandCalls(admin)));
      expect(await startsOf(), keyPrefix).toEqual(await truth());
      const exists = await Promise.all(admins.map(async (admin, i) => diffCalls(before[i]!, await commandCalls(admin)).exists ?? 0));
      expect(exists.reduce((a, b) => a + b, 0), `EXISTS calls under ${keyPrefix}`).toBeGreaterThan(0);
      // A hash on a calm key (MGET answers nil for it): judged as the loop judges it, on whichever master holds it.
      await redis.client.hset(clock.keyFor(scopes[0]!), 'start', '1700000000');
      const answered = await startsOf();
      expect(answered[0], keyPrefix).toEqual(expect.any(Number));
      expect(answered, keyPrefix).toEqual(await truth());
    }
    for (const admin of admins) admin.disconnect();
  });

  // timeoutMs 50 plus a margin that holds on a loaded 2-core machine; without the timeout a decision
  // would wait for the paused master.
  const BOUND_MS = 1000;

  it(`observeMany while one master is paused: the scopes of its slots fail within ${BOUND_MS} ms, the others are answered`, async () => {
    const clock = new RedisPanicClock(redis.client, { timeoutMs: 50 });
    const scopes = Array.from({ length: 30 }, (_, i) => `paused-${i}`);
    for (let i = 0; i < 100 && !(await clock.observeMany(scopes.map((scope) => ({ scope, kind: 'read' as const })))).every((r) => r.ok); i += 1) {
      await new Promise((r) => setTimeout(r, 50)); // connected to every master and scripts loaded, however loaded the machine
    }
    const owner = await redis.cluster.ownerOf(clock.keyFor('paused-0'));
    const onOwner = await Promise.all(scopes.map(async (s) => (await redis.cluster.ownerOf(clock.keyFor(s))) === owner));
    owner.pause();
    try {
      const started = performance.now();
      const results = await clock.observeMany(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
      results.forEach((result, i) => {
        if (onOwner[i]) expect(result).toMatchObject({ ok: false, error: { code: 'VIX_TTL_STORE_TIMEOUT' } });
        else expect(result).toMatchObject({ ok: true, observation: { active: true } });
      });
    } finally {
      owner.resume();
    }
  });

  it(`fails safe within ${BOUND_MS} ms while the master of the key is paused, and recovers after`, async () => {
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.client, { timeoutMs: 50 }), syncIntervalMs: 0, timeoutMs: 50 });
    expect(await untilDecided(() => breaker.getTtl(PANIC))).toMatchObject({ failSafe: false }); // the panic is stored before the fault
    const owner = await redis.cluster.ownerOf(KEY);
    owner.pause();
    try {
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        const decision = await breaker.getTtl(PANIC);
        expect(performance.now() - started).toBeLessThan(BOUND_MS);
        expect(decision).toMatchObject({ ttl: 0, failSafe: true });
      }
      expect((await breaker.getTtl({ ...PANIC, vixStatus: 'calm' })).ttl).toBe(60);
    } finally {
      owner.resume();
    }
    const deadline = Date.now() + 10_000;
    let decision = await breaker.getTtl(PANIC);
    while (decision.failSafe && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      decision = await breaker.getTtl(PANIC);
    }
    expect(decision).toMatchObject({ tier: 1, failSafe: false });
    await breaker.close();
  });

  it('a fast-path round of 600 known scopes in one slot while that slot migrates: a round answers every scope as its keys hold it, or fails', async () => {
    const clock = new RedisPanicClock(redis.client, { timeoutMs: 5000, keyPrefix: '{migrating}:panic', maxKeysPerScript: 2000 });
    const scopes = Array.from({ length: 600 }, (_, i) => `s-${i}`);
    const keys = scopes.map((scope) => clock.keyFor(scope));
    const reads = scopes.map((scope) => ({ scope, kind: 'read' as const }));
    const started = await clock.observeMany(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
    expect(started.every((r) => r.ok && r.observation.created)).toBe(true);
    const slot = redisKeySlot(keys[0]!);
    const source = await redis.cluster.ownerOf(keys[0]!);
    const target = redis.cluster.nodes.find((node) => node !== source)!;
    const [from, to] = [source.client(), target.client()];
    const [fromId, toId] = [String(await from.call('CLUSTER', 'MYID')), String(await to.call('CLUSTER', 'MYID'))];
    /** Each key's start as the node holding it has it (ms), or null: found by SCAN (no redirection), read after ASKING. */
    const held = async (): Promise<Array<number | null>> => {
      const found = new Map<string, number>();
      for (const node of [from, to]) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', '{migrating}:panic:*', 'COUNT', 1000);
          cursor = next;
          for (const key of batch) {
            const [, [, value]] = (await node.pipeline().call('ASKING').get(key).exec())! as [unknown, [unknown, string]];
            found.set(key, Number(value) * 1000);
          }
        } while (cursor !== '0');
      }
      return keys.map((key) => found.get(key) ?? null);
    };
    /** A round whose answered scopes (a failed one fails safe) each say what their key holds; how many were answered. */
    const expectHeld = async (label: string): Promise<number> => {
      const results = await clock.observeMany(reads);
      const truth = await held();
      const wrong = results.flatMap((r, i) => (r.ok && r.observation.startedAtMs !== truth[i] ? [{ scope: scopes[i], answered: r.observation.startedAtMs, held: truth[i] }] : []));
      expect(wrong, label).toEqual([]);
      return results.filter((r) => r.ok).length;
    };
    const later = (value: number | null): string => String((value ?? 0) / 1000 + 7);
    try {
      expect(await expectHeld('before the migration')).toBe(600);
      await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
      await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
      // Half the keys moved (one of them with a later start on the way): a script over both halves gets TRYAGAIN.
      await from.set(keys[10]!, later((await held())[10]!), 'KEEPTTL');
      await from.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys.slice(0, 300));
      await expectHeld('half the keys migrated'); // TRYAGAIN: each scope answered as held, or failed (fail-safe)
      // Every key moved, one of them rewritten on the target to a later start: the script follows ASK there.
      await from.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys.slice(300));
      const rewritten = later((await held())[450]!);
      expect(await to.pipeline().call('ASKING').set(keys[450]!, rewritten, 'KEEPTTL').exec()).toEqual([[null, 'OK'], [null, 'OK']]);
      expect(await expectHeld('every key migrated, the slot still migrating')).toBe(600);
      for (const node of redis.cluster.nodes) {
        const c = node.client();
        await c.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
        c.disconnect();
      }
      // The slot is the target's: a change there is answered on the next round (MOVED, then the fast path on the target).
      expect(await expectHeld('the slot moved')).toBe(600);
      await to.set(keys[599]!, later((await held())[599]!), 'KEEPTTL');
      expect(await expectHeld('a change after the move')).toBe(600);
      expect(await expectHeld('and the round after')).toBe(600);
    } finally {
      from.disconnect();
      to.disconnect();
      await redis.cluster.waitUntilOk();
    }
  }, 40_000);
});

describe('AdaptiveCache tags on a real 3-master Redis Cluster', () => {
  const redis = useRedisCluster(3);

  it('entries spread over the masters; a tag’s index, tombstone and scratch keys share one slot; invalidateTags removes exactly its entries', async () => {
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.client, { timeoutMs: 2000 }), timeoutMs: 2000 });
    const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis.client), timeoutMs: 2000 });
    const keys = Array.from({ length: 30 }, (_, i) => `odds:match-${i}`);
    for (const [i, key] of keys.entries()) {
      await cache.getOrLoad(key, async () => i, { ...CALM, tags: [`league:l${i % 2}`, `match:match-${i}`] });
    }
    const owners = new Set(await Promise.all(keys.map(async (k) => (await redis.cluster.ownerOf(`vix-ttl:cache:${k}`)).port)));
    expect(owners.size).toBeGreaterThan(1);
    const index = tagIndexKey('vix-ttl:cache:', 'league:l0');
    expect((await redis.cluster.ownerOf(index)).port).toBe((await redis.cluster.ownerOf(`${index}:inv`)).port);
    expect(await cache.invalidateTags(['league:l0'])).toBe(15);
    for (const [i, key] of keys.entries()) {
      const status = (await cache.getOrLoadWithMeta(key, async () => -1, CALM)).status;
      expect(status, key).toBe(i % 2 === 0 ? 'miss' : 'hit');
    }
    await breaker.close();
  }, 40_000);
});
