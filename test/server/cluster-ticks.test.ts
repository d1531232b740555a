import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostClusterVix } from '../../src/server/process/vix-host.js';
import { VIX_TICKS_REQUEST, VIX_TICKS_RESPONSE, isVixMessage } from '../../src/server/process/vix-messages.js';
import { LocalVix } from '../../src/server/vix/local-vix.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { postJson, type HttpResult } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

/** `count` ticks of one market, a millisecond apart, ending a minute ago (as JSON text, one per tick). */
function tickTexts(count: number, market = 'ars-che/1x2:home'): string[] {
  const from = Date.now() - 60_000 - count;
  return Array.from({ length: count }, (_, i) => JSON.stringify({ market, price: 2 + (i % 9) / 100, ts: from + i, scope: 'ars-che' }));
}

/** The bytes of a JSON array of ticks with its brackets, as a worker forwards a slice (see TickBatch.bytes). */
const sliceBytes = (ticks: string[]) => Buffer.from(`[${ticks.join(',')}]`);

describe('in a cluster primary, each forwarded slice is parsed once and checked before any tick of its batch is ingested', () => {
  // The real host on the real cluster module's events, with a worker whose IPC channel keeps what it is sent.
  const local = new LocalVix({ clock: null });
  let stop: () => void = () => {};
  const answers: unknown[] = [];
  const worker = { id: 9001, process: { pid: 9001 }, isConnected: () => true, send: (message: unknown, callback?: (error: Error | null) => void) => (answers.push(message), callback?.(null), true) };
  const deliver = (message: unknown) => cluster.emit('message', worker, message);
  const answerTo = async (id: number) => {
    for (let i = 0; i < 200; i += 1) {
      const answer = answers.find((a) => isVixMessage(a, VIX_TICKS_RESPONSE) && a.id === id);
      if (answer) return answer as { answer?: { accepted: number }; invalid?: { error: string; field: string | null; message: string }; error?: string };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no answer to batch ${id}`);
  };

  beforeAll(() => {
    stop = hostClusterVix({ local, broadcastMs: 60_000 });
  });
  afterAll(async () => {
    stop();
    await local.close();
  });

  it('a slice that is not valid JSON is a 400 invalid_json naming where it is, its batch ingests nothing, and the parts still on their way are dropped', async () => {
    const ticks = tickTexts(1500);
    deliver({ type: VIX_TICKS_REQUEST, id: 1, ticksBytes: sliceBytes(ticks.slice(0, 500)), more: true });
    deliver({ type: VIX_TICKS_REQUEST, id: 1, ticksBytes: Buffer.from(`[${ticks.slice(500, 999).join(',')},{"market":"x","price":2,]`), more: true });
    deliver({ type: VIX_TICKS_REQUEST, id: 1, ticksBytes: sliceBytes(ticks.slice(1000)), more: false, count: 1500 });
    const answer = await answerTo(1);
    expect(answer.answer).toBeUndefined();
    expect(answer.invalid).toMatchObject({ error: 'invalid_json', field: 'body' });
    expect(answer.invalid!.message).toMatch(/not valid JSON.*from tick 500 on/);
    // The last part (sent before the worker heard of the refusal) neither started a batch nor got an answer of its own.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answers.filter((a) => isVixMessage(a, VIX_TICKS_RESPONSE) && a.id === 1)).toHaveLength(1);
    expect(local.view().ticks.accepted).toBe(0);
  });

  it('a prototype-pollution key is a 400 invalid_body naming the tick by its number in the batch', async () => {
    const ticks = tickTexts(1000);
    ticks[700] = '{"market":"m","price":2,"ts":1,"__proto__":{"polluted":true}}';
    deliver({ type: VIX_TICKS_REQUEST, id: 2, ticksBytes: sliceBytes(ticks.slice(0, 500)), more: true });
    deliver({ type: VIX_TICKS_REQUEST, id: 2, ticksBytes: sliceBytes(ticks.slice(500)), more: false, count: 1000 });
    expect((await answerTo(2)).invalid).toMatchObject({ error: 'invalid_body', field: 'ticks.700.__proto__' });
    expect(local.view().ticks.accepted).toBe(0);
  });

  it('a batch whose parse finds fewer ticks than the worker counted (an empty element its scan counted) is a 400 invalid_json', async () => {
    const ticks = tickTexts(600);
    deliver({ type: VIX_TICKS_REQUEST, id: 3, ticksBytes: sliceBytes(ticks.slice(0, 500)), more: true });
    deliver({ type: VIX_TICKS_REQUEST, id: 3, ticksBytes: sliceBytes(ticks.slice(500)), more: false, count: 601 });
    expect((await answerTo(3)).invalid).toMatchObject({ error: 'invalid_json', field: 'body', message: expect.stringMatching(/empty tick/) as unknown });
    expect(local.view().ticks.accepted).toBe(0);
  });

  it('a valid batch in parts whose bytes carry the slice delimiters (a comma or bracket on either side) is ingested whole', async () => {
    const ticks = tickTexts(1000, 'liv-eve/1x2:home');
    const body = Buffer.from(`{"ticks":[${ticks.join(',')}]}`);
    const head = body.indexOf('[');
    const cut = head + 1 + ticks.slice(0, 500).join(',').length; // the comma between tick 499 and tick 500
    deliver({ type: VIX_TICKS_REQUEST, id: 4, ticksBytes: body.subarray(head, cut + 1), more: true });
    deliver({ type: VIX_TICKS_REQUEST, id: 4, ticksBytes: body.subarray(cut, body.length - 1), more: false, count: 1000 });
    expect((await answerTo(4)).answer).toMatchObject({ accepted: 1000 });
    expect(local.view().ticks.accepted).toBe(1000);
  });
});

/** Sums the accepted ticks of every 200 answer, and counts the 429 busy answers (each with Retry-After). */
function tally(results: HttpResult[]): { accepted: number; busy: number } {
  let accepted = 0;
  let busy = 0;
  for (const result of results) {
    if (result.status === 200) accepted += Number(result.json().accepted) + Number(result.json().rejected);
    else if (result.status === 429) {
      expect(result.json().error).toBe('busy');
      expect(result.headers['retry-after']).toBe('1');
      busy += 1;
    } else throw new Error(`unexpected ${result.status}: ${result.text}`);
  }
  return { accepted, busy };
}

describe('serve --workers 2: --max-ticks-per-second is the service’s, each worker taking its share', () => {
  const RATE = 400; // ticks per second, the whole service
  const BATCH = 100; // maxTicksPerBatch: each worker's bucket holds two batches
  let redis: RedisServer;
  let service: ServeProcess;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    dir = mkdtempSync(join(tmpdir(), 'vix-ttl-ticks-'));
    const config = join(dir, 'vix-ttl.json');
    writeFileSync(config, JSON.stringify({ server: { maxTicksPerBatch: BATCH } }));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = serve(['--workers', '2', '--redis', redis.url, '--port', String(port), '--config', config, '--max-ticks-per-second', String(RATE)]);
    await service.waitFor('VIX_TTL_CLUSTER_READY');
  });

  afterAll(async () => {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('clients posting as fast as they can on new connections (spread over both workers) get at most the service’s rate, past the buckets, and 429 busy beyond', async () => {
    const body = JSON.stringify({ ticks: tickTexts(BATCH).map((t) => JSON.parse(t) as unknown) });
    const results: HttpResult[] = [];
    const started = performance.now();
    const until = started + 3000;
    const client = async () => {
      while (performance.now() < until) results.push(await postJson(`${base}/v1/ticks`, body));
    };
    await Promise.all(Array.from({ length: 4 }, client));
    const seconds = (performance.now() - started) / 1000;
    const { accepted, busy } = tally(results);
    // Each worker: a full bucket (two batches) at the start, one batch of debt (paid once parsed), and RATE / 2 a second.
    const bound = 2 * (2 * BATCH + BATCH) + RATE * seconds;
    expect(accepted).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(bound);
    // Both workers took part (the primary hands each new connection to the next worker): more than one worker's share went through.
    expect(accepted).toBeGreaterThan(2 * BATCH + BATCH + (RATE / 2) * seconds);
  });
});
