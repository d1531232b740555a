import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useListeningService } from '../support/use-listening-service.js';

// Apart from connection-limit.test.ts: this test waits on the clock, and a file of its
// own runs beside the others instead of after them.
const STALLED_MS = 1500;
describe('a connection standing still is closed (real sockets)', () => {
  const { start, server, sockets } = useListeningService();

  it('a client that asks and never reads the answers is closed once its connection has stood still for stalledConnectionFloorMs (above twice requestTimeoutMs and the waits here), not held for good', async () => {
    // The floor decides here (twice 500 ms is under it), short so that the test waits ~1.5 s, not 5-10 s;
    // the default floor of 5 s is checked, without waiting for it, in http-timeouts.test.ts.
    const port = await start({ requestTimeoutMs: 500, eventIntervalMs: 500, adminTimeoutMs: 500, readyTimeoutMs: 250, stalledConnectionFloorMs: STALLED_MS });
    const served = new Promise<Socket>((resolve) => server().app.server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    sockets.push(client);
    client.on('error', () => {});
    client.pause(); // reads nothing: the answers back up in the kernel, then in the server
    // 400 answers of the OpenAPI document (~70 KB each) are far more than the socket buffers hold.
    client.write('GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(400));
    const socket = await served;
    const openedAt = Date.now();
    const closedAt = await new Promise<number | null>((resolve) => {
      const giveUp = setTimeout(() => resolve(null), 60_000);
      socket.once('close', () => {
        clearTimeout(giveUp);
        resolve(Date.now());
      });
    });
    // Before: still open after a minute (Node stops reading the client, and the connection
    // limit never closes a connection with an answer under way).
    expect(closedAt, 'the server closed the stalled connection').not.toBeNull();
    expect(closedAt! - openedAt).toBeGreaterThanOrEqual(STALLED_MS - 300); // not before it stood still that long (timer granularity aside)
    expect(socket.bytesWritten).toBeGreaterThan(1_000_000); // it did answer while the client's buffers took the answers
  }, 90_000);
});
