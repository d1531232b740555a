// The flood of bench/tick-flood.ts, in a process of its own so that its work does not
// delay the measuring process: CLIENTS clients, each posting 10,000-tick batches to
// POST /v1/ticks one after another; a client told `busy` (429) waits what Retry-After
// says, or BUSY_PAUSE_MS when one is given (0: the Retry-After). Prints `ready` once
// every client has had an answer, and its counts as one JSON line when stdin closes.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const [url = '', clientsArg = '24', pauseArg = '0'] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const BUSY_PAUSE_MS = Number(pauseArg);
const TICKS = 10_000;
const BODIES_PER_CLIENT = 6;

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
const counts = { batches: 0, busy: 0, failed: 0, accepted: 0, rejected: 0 };
let stopping = false;

/** Client c's bodies: 100 markets in one scope of its own, each body 10 s of ticks after the one before. */
function bodiesOf(c: number, fromMs: number): string[] {
  return Array.from({ length: BODIES_PER_CLIENT }, (_, k) =>
    JSON.stringify({
      ticks: Array.from({ length: TICKS }, (_, i) => ({ market: `flood-${c}-m${i % 100}`, price: 2 + ((i * 7 + k) % 13) / 100, ts: fromMs + k * TICKS + i, scope: `flood-${c}` })),
    }),
  );
}

function post(body: string): Promise<{ status: number; text: string; retryAfterS: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/ticks`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, retryAfterS: Number(res.headers['retry-after'] ?? 1) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const fromMs = Date.now() - 2 * 60_000; // six bodies of 10 s end a minute ago: every tick is in the past
const bodies = Array.from({ length: CLIENTS }, (_, c) => bodiesOf(c, fromMs));
let started = 0;
const client = async (c: number): Promise<void> => {
  for (let k = 0; !stopping; k += 1) {
    try {
      const { status, text, retryAfterS } = await post(bodies[c]![k % BODIES_PER_CLIENT]!);
      if (k === 0 && (started += 1) === CLIENTS) console.log('ready');
      if (status === 200) {
        const answer = JSON.parse(text) as { accepted: number; rejected: number };
        counts.batches += 1;
        counts.accepted += answer.accepted;
        counts.rejected += answer.rejected;
      } else if (status === 429) {
        counts.busy += 1;
        await sleep(BUSY_PAUSE_MS > 0 ? BUSY_PAUSE_MS : retryAfterS * 1000);
      } else counts.failed += 1;
    } catch {
      counts.failed += 1;
      await sleep(BUSY_PAUSE_MS > 0 ? BUSY_PAUSE_MS : 1000);
    }
  }
};
const running = Array.from({ length: CLIENTS }, (_, c) => client(c));
process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
  void Promise.all(running).then(() => {
    console.log(JSON.stringify(counts));
    agent.destroy();
  });
});
