import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

/** What arrives on `socket` until it holds a whole answer to `request` or is closed: the text and whether it was closed. */
function exchange(socket: Socket, request: string, complete: (text: string) => boolean): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const done = (closed: boolean) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ text, closed });
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (complete(text)) done(false);
    };
    const onClose = () => done(true);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(request);
  });
}

const answered = (text: string) => {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /content-length: (\d+)/i.exec(text.slice(0, head));
  return length !== null && text.length - head - 4 >= Number(length[1]);
};

describe('serve --workers 2 with short timeouts: a request waiting on a stuck primary gets its answer, not a closed connection (real processes)', () => {
  let redis: RedisServer;
  let service: ServeProcess;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'vix-stalled-'));
    const config = join(dir, 'vix-ttl.json');
    // Every wait the service counts is ≤ 1 s and the floor is low: the stalled-connection timeout is 2 s,
    // under the 5 s a worker waits for the primary's answer to a forwarded batch.
    writeFileSync(config, JSON.stringify({ server: { adminTimeoutMs: 1000, stalledConnectionFloorMs: 500 } }));
    service = serve(['--workers', '2', '--redis', redis.url, '--port', String(port), '--request-timeout-ms', '1000', '--config', config]);
    await service.waitFor('VIX_TTL_CLUSTER_READY', 60_000);
    await eventually(async () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING').length >= 2, 20_000, 'two workers listening');
  }, 90_000);

  afterAll(async () => {
    if (service.child.pid !== undefined && alive(service.child.pid)) process.kill(service.child.pid, 'SIGCONT');
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Sends `request` on a connection a worker already holds (a first request lands it there
   * while the primary still accepts), with the primary stopped (SIGSTOP, then SIGCONT):
   * what comes back, whether the connection was closed, and how long it took.
   */
  async function askWhilePrimaryStopped(request: string): Promise<{ text: string; closed: boolean; waitedMs: number }> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    try {
      const first = await exchange(socket, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', answered);
      expect(first.text).toMatch(/^HTTP\/1\.1 200 /);
      process.kill(service.child.pid!, 'SIGSTOP');
      const startedAt = Date.now();
      const answer = await exchange(socket, request, answered);
      return { ...answer, waitedMs: Date.now() - startedAt };
    } finally {
      process.kill(service.child.pid!, 'SIGCONT');
      socket.destroy();
    }
  }

  it('POST /v1/ticks on a worker while the primary is stopped (SIGSTOP): 503 vix_unavailable after the forward timeout, on the open connection', async () => {
    const body = JSON.stringify({ ticks: [{ market: 'm', price: 2.1, ts: Date.now() - 1000, scope: 'stalled-forward' }] });
    const answer = await askWhilePrimaryStopped(`POST /v1/ticks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    expect({ closed: answer.closed, text: answer.text.slice(0, 20), waitedMs: answer.waitedMs >= 4000 }).toEqual({ closed: false, text: 'HTTP/1.1 503 Service', waitedMs: true });
    expect(answer.text).toContain('"vix_unavailable"');
  }, 60_000);

  it('GET /metrics on a worker while the primary is stopped: the worker\'s answer after the aggregation timeout, on the open connection', async () => {
    const answer = await askWhilePrimaryStopped('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    expect({ closed: answer.closed, text: answer.text.slice(0, 9), waitedMs: answer.waitedMs >= 4000 }).toEqual({ closed: false, text: 'HTTP/1.1 ', waitedMs: true });
  }, 60_000);
});
