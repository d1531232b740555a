// CPU of one sync round at N scopes: RedisPanicClock.observeMany of N reads (every key a valid start the
// clock already knows: the steady state of the breaker's sync loop) on a real redis-server, ROUNDS times
// in a row. Prints the worker's CPU per round (process.cpuUsage), the wall time per round, Redis's CPU per
// round (INFO cpu) and the commands Redis counted. Run under the shared lock:
//   flock /work/wt/bench.lock npx tsx bench/sync-round.bench.ts   (PROBE_N, default 10000; PROBE_ROUNDS, default 300)
import { loadavg } from 'node:os';
import { RedisPanicClock } from '../src/index.js';
import { RedisServer } from '../test/support/redis-server.js';
const N = Number(process.env.PROBE_N ?? 10_000);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 300);
const server = await RedisServer.start();
const redis = server.client();
const clock = new RedisPanicClock(redis, { timeoutMs: 1000 });
const requests = Array.from({ length: N }, (_, i) => ({ scope: `m-${i}`, kind: 'read' as const }));
await clock.observeMany(requests.map((r) => ({ ...r, kind: 'panic' as const })));
for (let i = 0; i < 50; i++) await clock.observeMany(requests);
const redisCpu = async () => { const info = await redis.info('cpu'); return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]); };
const r0 = await redisCpu();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < ROUNDS; i++) await clock.observeMany(requests);
const cpu = process.cpuUsage(cpu0);
const redisMs = ((await redisCpu()) - r0) * 1000 / ROUNDS;
const info = await redis.info('commandstats');
console.log(`Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; N=${N}: ${((cpu.user + cpu.system) / 1000 / ROUNDS).toFixed(2)} ms CPU per round (node), ${((performance.now() - t0) / ROUNDS).toFixed(2)} ms wall per round, ${redisMs.toFixed(2)} ms Redis CPU per round`);
console.log(info.split('\n').filter((l) => /evalsha|mget|cmdstat_get:/.test(l)).join('\n'));
redis.disconnect();
await server.stop();
