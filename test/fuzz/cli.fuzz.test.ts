import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { RedisServer } from '../support/redis-server.js';

// Every --redis value the fuzzer may pick points at loopback or is invalid, so no
// generated command line can reach another host.
let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => server.stop());

const COMMANDS = ['plan', 'decide', 'status', 'reset', 'help', 'nope', ''];
const FLAGS = ['--league', '--match-type', '--importance', '--base-ttl', '--status', '--minutes', '--scope', '--redis', '--key-prefix', '--json', '--bogus', '-x', '--'];
const weird = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', '-1', '1e309', 'NaN', 'Infinity', '0x10', '60', '45', 'panic', 'calm', 'high_stakes', 'UCL', '__proto__', 'constructor', '💥', 'a'.repeat(500), '--json'),
  fc.double().map(String),
  fc.integer().map(String),
);

function argv(redisUrl: string) {
  const value = fc.oneof(weird, fc.constantFrom(redisUrl, 'redis://127.0.0.1:1', 'not a url', 'http://127.0.0.1:1'));
  const token = fc.oneof(
    fc.constantFrom(...FLAGS),
    fc.tuple(fc.constantFrom(...FLAGS), value).map(([f, v]) => `${f}=${v}`),
    value,
  );
  return fc.tuple(fc.constantFrom(...COMMANDS), fc.array(token, { maxLength: 8 })).map(([c, rest]) => (c === '' ? rest : [c, ...rest]));
}

describe('CLI fuzzing', () => {
  it('no generated command line crashes, prints a stack trace or exits with an unknown code; every error is one line naming its cause', async () => {
    const names = /--[a-z-]+|unknown command|unknown option|unexpected argument|needs a shared clock|cannot reach Redis|scope|must be|is required|only applies|takes one command/;
    await fc.assert(
      fc.asyncProperty(argv(server.url), async (args) => {
        let out = '';
        let err = '';
        const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += `${t}\n`), env: {} });
        expect([0, 1, 2]).toContain(code);
        if (code === 0) return;
        if (err === '') {
          expect(out).toContain('Usage');
          return;
        }
        expect(err.trim().split('\n')).toHaveLength(1);
        expect(err).not.toMatch(/\n\s+at /);
        expect(err).toMatch(names);
      }),
      { numRuns: 400 },
    );
  });
});
