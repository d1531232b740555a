import { describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer } from '../../src/server/http/create-server.js';
import { DEFAULT_UNREAD_LINGER_MS } from '../../src/server/http/error-handler.js';
import { DEFAULT_STALLED_CONNECTION_FLOOR_MS, httpServerOptions, stalledConnectionTimeoutMs } from '../../src/server/http/http-timeouts.js';

// The waits themselves are shown on real sockets (stalled-connection.test.ts, refused-body.test.ts)
// with short values; here, without waiting, that the defaults are what README promises and that
// the options reach the server.
describe('the stalled-connection time and the unread linger: defaults, options, validation', () => {
  it('a connection may stand still twice the longest of the request timeout and the waits, at least 5 s by default', () => {
    expect(DEFAULT_STALLED_CONNECTION_FLOOR_MS).toBe(5000);
    expect(stalledConnectionTimeoutMs(100, 50)).toBe(5000);
    expect(stalledConnectionTimeoutMs(30_000, 2000)).toBe(60_000);
    expect(stalledConnectionTimeoutMs(1000, 8000)).toBe(16_000);
    expect(stalledConnectionTimeoutMs(100, 50, 1500)).toBe(1500);
    expect(stalledConnectionTimeoutMs(2000, 50, 1500)).toBe(4000);
    expect(httpServerOptions(100, 50).connectionTimeout).toBe(5000);
    expect(httpServerOptions(100, 50, 300).connectionTimeout).toBe(300);
  });

  it('createServer sets the server socket timeout from stalledConnectionFloorMs (5 s when not given)', async () => {
    const short = { clock: new MemoryPanicClock(), vixSource: null, requestTimeoutMs: 100, eventIntervalMs: 50, adminTimeoutMs: 1, readyTimeoutMs: 1, defaultMetrics: false, openTelemetry: false };
    const byDefault = await createServer(short);
    const floored = await createServer({ ...short, stalledConnectionFloorMs: 1500 });
    try {
      expect(byDefault.app.server.timeout).toBe(5000);
      expect(floored.app.server.timeout).toBe(1500);
    } finally {
      await byDefault.app.close();
      await floored.app.close();
    }
  });

  it('a refused body’s connection lingers 1 s by default', () => {
    expect(DEFAULT_UNREAD_LINGER_MS).toBe(1000);
  });

  it.each([
    ['stalledConnectionFloorMs', 99],
    ['stalledConnectionFloorMs', 600_001],
    ['stalledConnectionFloorMs', 1000.5],
    ['stalledConnectionFloorMs', '5000'],
    ['unreadLingerMs', 9],
    ['unreadLingerMs', 99],
    ['unreadLingerMs', 60_001],
    ['unreadLingerMs', Number.NaN],
    ['unreadLingerMs', -1],
  ])('createServer refuses %s = %j with an error naming it', async (field, value) => {
    await expect(createServer({ clock: new MemoryPanicClock(), vixSource: null, [field]: value } as never)).rejects.toThrow(new RegExp(`createServer\\.${field}`));
  });
});
