// One server of bench/http.bench.ts, in its own process so that its CPU time can be
// read around each round (process.cpuUsage) apart from the load generator's:
//   tsx bench/http-target.ts service              — createServer on a MemoryPanicClock
//   tsx bench/http-target.ts bare '<decision JSON>' — a bare Fastify route returning that JSON
// It prints `{"url": …}` once listening, then answers each IPC message 'cpu' with
// `{ cpu: process.cpuUsage() }` and exits on 'stop'.
import Fastify from 'fastify';
import { MemoryPanicClock } from '../src/index.js';
import { createServer } from '../src/server/http/create-server.js';

const [kind, decisionJson] = process.argv.slice(2);

async function start(): Promise<{ url: string; close: () => Promise<unknown> }> {
  if (kind === 'service') {
    const service = await createServer({ clock: new MemoryPanicClock() });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    return { url: service.app.listeningOrigin, close: () => service.app.close() };
  }
  if (kind === 'bare' && decisionJson) {
    const decision = JSON.parse(decisionJson) as unknown;
    const bare = Fastify();
    bare.post('/v1/ttl', async () => decision);
    await bare.listen({ port: 0, host: '127.0.0.1' });
    return { url: bare.listeningOrigin, close: () => bare.close() };
  }
  throw new Error('usage: http-target.ts service | bare <decision JSON>');
}

const target = await start();
process.on('message', (message) => {
  if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (message === 'stop') void target.close().then(() => process.exit(0));
});
process.send!({ url: target.url });
