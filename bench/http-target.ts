// One server of bench/http.bench.ts, in its own process so that its CPU time can be
// read around each round (process.cpuUsage) apart from the load generator's:
//   tsx bench/http-target.ts service [srcDir]     — createServer on a MemoryPanicClock (from srcDir: another commit's src/)
//   tsx bench/http-target.ts bare '<decision JSON>' — a bare Fastify route returning that JSON
// It prints `{"url": …}` once listening, then answers each IPC message 'cpu' with
// `{ cpu: process.cpuUsage() }` and exits on 'stop'.
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import type { MemoryPanicClock as Clock } from '../src/index.js';
import type { createServer as Create } from '../src/server/http/create-server.js';

const [kind, argument] = process.argv.slice(2);

async function start(): Promise<{ url: string; close: () => Promise<unknown> }> {
  if (kind === 'service') {
    const src = argument === undefined ? new URL('../src/', import.meta.url) : pathToFileURL(`${argument}/`);
    const { MemoryPanicClock } = (await import(new URL('index.ts', src).href)) as { MemoryPanicClock: typeof Clock };
    const { createServer } = (await import(new URL('server/http/create-server.ts', src).href)) as { createServer: typeof Create };
    const service = await createServer({ clock: new MemoryPanicClock() });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    return { url: service.app.listeningOrigin, close: () => service.app.close() };
  }
  if (kind === 'bare' && argument) {
    const decision = JSON.parse(argument) as unknown;
    const bare = Fastify();
    bare.post('/v1/ttl', async () => decision);
    await bare.listen({ port: 0, host: '127.0.0.1' });
    return { url: bare.listeningOrigin, close: () => bare.close() };
  }
  throw new Error('usage: http-target.ts service [srcDir] | bare <decision JSON>');
}

const target = await start();
process.on('message', (message) => {
  if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (message === 'stop') void target.close().then(() => process.exit(0));
});
process.send!({ url: target.url });
