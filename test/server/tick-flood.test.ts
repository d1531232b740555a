import { request, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/clock/memory-panic-clock.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { LocalVix } from '../../src/server/vix/local-vix.js';
import { VixBusyError, type TickBatchAnswer } from '../../src/server/vix/vix-source.js';
import { VIX_TICKS_REQUEST, VIX_TICKS_RESPONSE, isVixMessage } from '../../src/server/process/vix-messages.js';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { sliceText } from '../../src/server/vix/tick-batch.js';
import { checkResponse } from '../support/openapi-conformance.js';
import { useServiceOnRedis } from '../support/use-service-on-redis.js';
import { startWorkerService } from '../support/worker-service.js';
import { eventually, httpRequest, postJson } from './http-helpers.js';

const MINUTE = 60_000;

/** A POST /v1/ticks whose body is only half sent: the request holds its place until `finish` or `abort`. */
function halfSentBatch(base: string, body: string): { req: ClientRequest; answer: Promise<{ status: number; text: string }>; finish(): void; abort(): void } {
  const half = Math.floor(body.length / 2);
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req = request(`${base}/v1/ticks`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          checkResponse({ method: 'POST', url: `${base}/v1/ticks`, status: res.statusCode ?? 0, headers: res.headers, body: text });
        } catch (error) {
          reject(error as Error);
        }
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
    req.write(body.slice(0, half));
  });
  return { req, answer, finish: () => req.end(body.slice(half)), abort: () => req.destroy() };
}

const batch = (n: number, from = Date.now() - 60_000) => JSON.stringify({ ticks: Array.from({ length: n }, (_, i) => ({ market: `m${i % 50}`, price: 2 + (i % 7) / 100, ts: from + i })) });

describe('a tick flood cannot starve decisions: POST /v1/ticks takes a bounded number of batches at once', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock(), maxConcurrentTickBatches: 1 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => server.app.close());

  it('past maxConcurrentTickBatches a batch is a 429 busy with Retry-After and the service’s error shape, and /v1/ttl still answers', async () => {
    // A batch held in work: the engine is in a cluster primary that does not answer.
    const held = await startWorkerService({ timeoutMs: 60_000 }, { maxConcurrentTickBatches: 1 });
    const url = held.origin;
    try {
      const first = postJson(`${url}/v1/ticks`, batch(10));
      let refused!: Awaited<ReturnType<typeof postJson>>;
      await eventually(async () => (refused = await postJson(`${url}/v1/ticks`, batch(10))).status === 429, 10_000, 'the first batch in work');
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers.connection).toBe('close');
      expect(refused.json()).toEqual({ error: 'busy', field: null, message: 'at most 1 tick batches at once are taken; retry after 1 s' });
      // A big body refused the same way: the client gets its 429, not a reset connection.
      const big = await postJson(`${url}/v1/ticks`, batch(10_000));
      expect(big.status).toBe(429);
      expect((await postJson(`${url}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm' }))).status).toBe(200);
      await held.remote.close(); // the first batch ends (503), and gives its place back
      expect((await first).status).toBe(503);
      expect((await postJson(`${url}/v1/ticks`, batch(10))).json()).toMatchObject({ error: 'vix_unavailable' });
    } finally {
      await held.close();
    }
  });

  it('a big body with a fault in its last tick is a 400 and ingests nothing: every slice is checked before any is ingested', async () => {
    const before = (server.vix as LocalVix).engine.stats().accepted;
    const text = batch(3000, Date.now() - 30_000).replace(/\]\}$/, ',{"market":"m","price":2,"ts":1,"__proto__":{}}]}');
    expect(text.length).toBeGreaterThan(65_536);
    const response = await postJson(`${base}/v1/ticks`, text);
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_body', field: 'ticks.3000.__proto__' });
    expect((server.vix as LocalVix).engine.stats().accepted).toBe(before);
  });

  it('a client sending its body slowly holds no place: other batches are taken meanwhile, and then its own', async () => {
    const slow = halfSentBatch(base, batch(2000, Date.now() - 50_000));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i += 1) expect((await postJson(`${base}/v1/ticks`, batch(10, Date.now() - 40_000 + i * 100))).status).toBe(200);
    slow.finish();
    expect(await slow.answer).toMatchObject({ status: 200 });
  });
});

describe('a tick flood cannot starve decisions: POST /v1/ticks takes a bounded number of ticks per second', () => {
  it('past maxTicksPerSecond (a bucket of two full batches), a batch is a 429 busy', async () => {
    // One tick per 100 s: the bucket cannot refill during the test, however slow the machine.
    const server = await createServer({ clock: new MemoryPanicClock(), maxTicksPerSecond: 0.01, maxTicksPerBatch: 100 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const base = server.app.listeningOrigin;
    try {
      expect((await postJson(`${base}/v1/ticks`, batch(100))).status).toBe(200);
      expect((await postJson(`${base}/v1/ticks`, batch(100, Date.now() - 50_000))).status).toBe(200);
      const refused = await postJson(`${base}/v1/ticks`, batch(1, Date.now() - 40_000));
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers.connection).toBe('close'); // its body is not read: the connection ends with the answer
      expect(refused.json()).toEqual({ error: 'busy', field: null, message: 'at most 0.01 ticks per second are taken; retry after 1 s' });
      expect((await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm' }))).status).toBe(200);
    } finally {
      await server.app.close();
    }
  });
});

describe('LocalVix ingests a big batch in chunks, one batch after another, with a bounded queue', () => {
  it('the event loop runs between chunks of chunkTicks', async () => {
    const local = new LocalVix({ clock: null, chunkTicks: 500, idleCheckMs: 0 });
    const ticks = JSON.parse(batch(10_000)).ticks as unknown[];
    const seen: number[] = [];
    const done = local.ingest(ticks);
    const probe = () => {
      seen.push(local.engine.stats().accepted);
      if (seen.length < 3) setImmediate(probe);
    };
    setImmediate(probe);
    expect(await done).toMatchObject({ accepted: 10_000, rejected: 0 });
    expect(seen).toEqual([500, 1000, 1500]);
    await local.close();
  });

  it('batches are taken in order; past maxQueuedBatches, VixBusyError', async () => {
    const local = new LocalVix({ clock: null, maxQueuedBatches: 2, chunkTicks: 100, idleCheckMs: 0 });
    const t = Date.now() - 60_000;
    const one = local.ingest([{ market: 'x', price: 2, ts: t }, ...Array.from({ length: 999 }, (_, i) => ({ market: `y${i}`, price: 2, ts: t }))]);
    const two = local.ingest([{ market: 'x', price: 2, ts: t + 1 }]);
    await expect(local.ingest([{ market: 'x', price: 2, ts: t + 2 }])).rejects.toBeInstanceOf(VixBusyError);
    expect(await one).toMatchObject({ accepted: 1000 });
    expect(await two).toMatchObject({ accepted: 1 }); // after one: in order for market x
    expect(await local.ingest([{ market: 'x', price: 2, ts: t + 2 }])).toMatchObject({ accepted: 1 });
    await local.close();
  });
});

describe('in a cluster worker, a busy primary is a 429 busy too', () => {
  it('the primary’s busy answer becomes 429 busy with Retry-After', async () => {
    const worker = await startWorkerService({ timeoutMs: 5000 });
    const { primary } = worker;
    primary.on('message', (message: unknown) => {
      if (isVixMessage(message, VIX_TICKS_REQUEST)) primary.postMessage({ type: VIX_TICKS_RESPONSE, id: message.id, error: 'the VIX engine already has 16 tick batches queued (at most 16); retry in a moment', busy: true });
    });
    try {
      const response = await postJson(`${worker.origin}/v1/ticks`, batch(3));
      expect(response.status).toBe(429);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toMatchObject({ error: 'busy', field: null, message: expect.stringMatching(/^the cluster primary is busy: /) });
    } finally {
      await worker.close();
    }
  });
});

describe('in a cluster worker, a big batch goes to the primary as bytes over the structured-clone channel', () => {
  it('with serialization advanced, every part of a body over 64 KiB is the UTF-8 bytes of a slice with its delimiters (no text to escape, no copy), and together they are the ticks posted', async () => {
    const worker = await startWorkerService({ timeoutMs: 5000, serialization: 'advanced' }); // structured clone, as serve --workers sets up its IPC
    const { primary } = worker;
    const parts: unknown[] = [];
    primary.on('message', (message: unknown) => {
      if (!isVixMessage(message, VIX_TICKS_REQUEST)) return;
      parts.push(message);
      if (message.more !== true) primary.postMessage({ type: VIX_TICKS_RESPONSE, id: message.id, answer: { accepted: 0, rejected: 0, byReason: {}, rejections: [] } });
    });
    try {
      const from = Date.now() - 60_000;
      const ticks = Array.from({ length: 3000 }, (_, i) => ({ market: `é-"q"-\\-😀-${i % 40}`, price: 2 + (i % 7) / 100, ts: from + i }));
      const body = JSON.stringify({ ticks });
      expect(Buffer.byteLength(body)).toBeGreaterThan(65_536);
      expect((await postJson(`${worker.origin}/v1/ticks`, body)).status).toBe(200);
      expect(parts).toHaveLength(6); // 500 ticks per message
      const received: unknown[] = [];
      for (const part of parts as Array<{ ticksBytes?: unknown; ticksText?: unknown }>) {
        expect(part.ticksText).toBeUndefined();
        expect(part.ticksBytes).toBeInstanceOf(Uint8Array);
        received.push(...(JSON.parse(sliceText(part.ticksBytes as Uint8Array)) as unknown[]));
      }
      expect(received).toEqual(ticks);
    } finally {
      await worker.close();
    }
  });
});

describe('a tick from the future, on the service (wall clock, real redis-server)', () => {
  // warmupMs 0: the engine warms a scope up on its own time (the wall clock here), so the history below could not warm it.
  const served = useServiceOnRedis({ clockTimeoutMs: 1000, maxTickSkewMs: 5000, vixEngine: { warmupMs: 0 } });

  it('live panics published to Redis stay, start unchanged, after a 9999-12-31 tick and a microseconds tick', async () => {
    const end = Date.now() - 5000;
    const scopes = [
      { scope: 'rma-bay', markets: 4, meanGapMs: 1000 },
      { scope: 'psg-bvb', markets: 4, meanGapMs: 1000 },
    ];
    // The last four minutes (the service takes no tick older than five): three calm, then a shock everywhere.
    const ticks = [...simulateTicks({ seed: 9, startMs: end - 4 * MINUTE, durationMs: 4 * MINUTE, scopes, events: [{ atMs: 3 * MINUTE, durationMs: MINUTE, volatility: 10 }] })].map((r) => r.tick);
    for (let i = 0; i < ticks.length; i += 5000) expect((await postJson(`${served.base}/v1/ticks`, JSON.stringify({ ticks: ticks.slice(i, i + 5000) }))).status).toBe(200);
    const keys = ['brain:panic_start_ts', 'brain:panic_start_ts:rma-bay', 'brain:panic_start_ts:psg-bvb'];
    await eventually(async () => (await served.client.exists(...keys)) === 3, 5000, 'the published panics');
    const starts = await served.client.mget(...keys);
    const timeBefore = (served.service.vix as LocalVix).engine.stats().timeMs!;

    const attack = [
      { market: 'rma-bay/m1', price: 3, ts: '9999-12-31T23:59:59Z', scope: 'rma-bay' },
      { market: 'psg-bvb/m1', price: 3, ts: Date.now() * 1000, scope: 'psg-bvb' },
    ];
    const answer = (await postJson(`${served.base}/v1/ticks`, JSON.stringify({ ticks: attack }))).json() as unknown as TickBatchAnswer;
    expect(answer).toMatchObject({ accepted: 0, rejected: 2, byReason: { future_ts: 2 } });
    expect((served.service.vix as LocalVix).engine.stats().timeMs).toBe(timeBefore);
    await (served.service.vix as LocalVix).publisher!.refresh();
    expect(['global', 'rma-bay', 'psg-bvb'].map((s) => (served.service.vix as LocalVix).engine.status(s))).toEqual(['panic', 'panic', 'panic']);
    expect(await served.client.mget(...keys)).toEqual(starts);
    const decision = await postJson(`${served.base}/v1/ttl`, JSON.stringify({ baseTtl: 60, scope: 'rma-bay' }));
    expect(decision.json()).toMatchObject({ tier: 1, ttl: 0, mode: 'PANIC_FULL' });
  });

  it('a tick more than maxTickSkewMs ahead of the wall clock is future_ts, counted in /v1/state and /metrics', async () => {
    const now = Date.now();
    const response = await postJson(`${served.base}/v1/ticks`, JSON.stringify({ ticks: [{ market: 'w', price: 2, ts: now + 60_000 }, { market: 'w', price: 2, ts: now - 1000 }] }));
    expect(response.json()).toEqual({ accepted: 1, rejected: 1, byReason: { future_ts: 1 }, rejections: [{ index: 0, reason: 'future_ts', rule: 'reject' }] });
    const state = (await httpRequest(`${served.base}/v1/state`)).json() as { vix: { ticks: { byReason: Record<string, number> } } };
    expect(state.vix.ticks.byReason.future_ts).toBe(3); // and the two of the attack above
    expect((await httpRequest(`${served.base}/metrics`)).text).toMatch(/^vix_ttl_vix_ticks_total\{result="future_ts"\} 3$/m);
  });
});
