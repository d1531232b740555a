import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allowedText, defaultText, type FlagSpec } from '../../src/cli/flag-spec.js';
import { COMMANDS } from '../../src/cli/main.js';
import { parseFlags } from '../../src/cli/parse-flags.js';
import { cli } from './run-cli.js';

const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** The `--name` of every flag the help lists under "Flags:". */
function flagsInHelp(help: string): string[] {
  const section = help.slice(help.indexOf('\nFlags:\n'));
  return [...section.matchAll(/^ {2}(?:-h, )?--([a-z-]+)/gm)].map((m) => m[1]!);
}

/** A value the flag accepts. */
function validValue(name: string, flag: FlagSpec): string[] {
  switch (flag.type) {
    case 'boolean':
      return [];
    case 'choice':
      return [flag.choices.at(-1)!];
    case 'integer':
      return [String(flag.max)];
    case 'number':
      return [String(flag.min ?? 1)];
    case 'string':
      return [name === 'redis' ? 'redis://127.0.0.1:1' : name === 'scope' ? 'ucl' : 'x'];
  }
}

describe('vix-ttl --version and help', () => {
  it('--version prints the version of package.json', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      expect(await cli(args)).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    }
  });

  it('vix-ttl help lists every command with its synopsis and says how to get a command’s help', async () => {
    const { code, out } = await cli(['help']);
    expect(code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(out).toContain(`vix-ttl ${name} `);
    expect(out).toContain('vix-ttl help <command>');
    expect(out).toContain('vix-ttl --version');
    expect(out).toContain('HOST');
    expect(out).toContain('VIX_TTL_CONFIG');
  });

  it('vix-ttl help <command> and <command> --help (or -h) print the same help', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const viaHelp = await cli(['help', name]);
      expect(viaHelp.code).toBe(0);
      expect((await cli([name, '--help'])).out).toBe(viaHelp.out);
      expect((await cli([name, '-h'])).out).toBe(viaHelp.out);
    }
  });

  it('vix-ttl help of an unknown command is one line and exit code 2', async () => {
    const { code, err } = await cli(['help', 'frobnicate']);
    expect(code).toBe(2);
    expect(err.trim()).toMatch(/^vix-ttl: unknown command "frobnicate" \(try: plan, decide, status, reset, serve, replay, or vix-ttl help\)$/);
  });

  for (const [name, { spec }] of Object.entries(COMMANDS)) {
    it(`${name} --help lists every flag of its table with its meaning, default and allowed values, and no other`, async () => {
      const help = (await cli([name, '--help'])).out;
      expect(flagsInHelp(help).sort()).toEqual([...Object.keys(spec.flags), 'help'].sort());
      for (const [flagName, flag] of Object.entries(spec.flags)) {
        const block = help.slice(help.indexOf(`\n  --${flagName}`) + 1).split('\n  -')[0]!.replace(/\s+/g, ' ');
        expect(block, flagName).toContain(flag.meaning);
        if (defaultText(flag) !== null) expect(block, flagName).toContain(`default ${defaultText(flag)}`);
        if (allowedText(flag) !== null) expect(block, flagName).toContain(allowedText(flag));
        if (flag.type !== 'boolean' && flag.env) expect(block, flagName).toContain(`env ${flag.env}`);
        if (flag.type !== 'boolean' && flag.file) expect(block, flagName).toContain(`config file ${flag.file}`);
        if (flag.required) expect(block, flagName).toContain('required');
      }
    });

    it(`${name}: the parser takes every flag its help lists, and refuses one it does not`, () => {
      const positional = spec.positional ? ['ticks.csv'] : [];
      for (const [flagName, flag] of Object.entries(spec.flags)) {
        const required = Object.entries(spec.flags).flatMap(([other, f]) => (f.required && other !== flagName ? [`--${other}`, ...validValue(other, f)] : []));
        const parsed = parseFlags(spec, [...positional, ...required, `--${flagName}`, ...validValue(flagName, flag)]);
        expect(parsed.given.has(flagName), flagName).toBe(true);
      }
      expect(() => parseFlags(spec, [...positional, '--not-a-flag'])).toThrow(`unknown option '--not-a-flag' (see vix-ttl ${name} --help)`);
    });
  }
});

describe('numbers on the command line: negative and malformed values give a plain message', () => {
  const cases: Array<[string[], string]> = [
    [['decide', '--status', 'panic', '--minutes', '-5'], '--minutes must be a number ≥ 0, got -5'],
    [['decide', '--status', 'panic', '--minutes=-5'], '--minutes must be a number ≥ 0, got -5'],
    [['decide', '--status', 'panic', '--minutes', '-0.5'], '--minutes must be a number ≥ 0, got -0.5'],
    [['decide', '--status', 'panic', '--minutes', '1e3'], '--minutes must be a number ≥ 0, got "1e3"'],
    [['decide', '--status', 'panic', '--minutes', '0x10'], '--minutes must be a number ≥ 0, got "0x10"'],
    [['decide', '--status', 'panic', '--minutes', 'Infinity'], '--minutes must be a number ≥ 0, got "Infinity"'],
    [['decide', '--status', 'panic', '--minutes', 'NaN'], '--minutes must be a number ≥ 0, got "NaN"'],
    [['decide', '--status', 'panic', '--minutes', ''], '--minutes must be a number ≥ 0, got ""'],
    [['decide', '--status', 'panic', '--minutes', ' '], '--minutes must be a number ≥ 0, got " "'],
    [['decide', '--status', 'panic', '--minutes', '9'.repeat(400)], '--minutes must be a number ≥ 0, got "99999'],
    [['plan', '--base-ttl', '-60'], '--base-ttl must be a number ≥ 0, got -60'],
    [['serve', '--port', '-1'], '--port must be an integer from 0 to 65535, got -1'],
    [['serve', '--port', '80.5'], '--port must be an integer from 0 to 65535, got "80.5"'],
    [['serve', '--workers', '1e3', '--redis', 'redis://127.0.0.1:1'], '--workers must be an integer from 1 to 64, got "1e3"'],
    [['serve', '--max-panic-scopes', '0x10'], '--max-panic-scopes must be an integer from 1 to 1000000, got "0x10"'],
  ];

  it.each(cases)('%j', async (args, message) => {
    const { code, err } = await cli(args);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain(`vix-ttl ${args[0]}: ${message}`);
  });

  it('a variable is held to its flag’s rule, by its own name', async () => {
    expect((await cli(['serve'], { PORT: '-8080' })).err.trim()).toBe('vix-ttl serve: PORT must be an integer from 0 to 65535, got -8080');
    expect((await cli(['serve'], { PORT: '0x50' })).err.trim()).toBe('vix-ttl serve: PORT must be an integer from 0 to 65535, got "0x50"');
  });

  it('a value that starts with a dash is taken as the value of a flag that needs one; a --flag is not', async () => {
    const decided = await cli(['decide', '--status', 'panic', '--minutes', '45', '--league', '-', '--json']);
    expect(decided.code).toBe(0);
    expect(JSON.parse(decided.out)).toMatchObject({ importance: 'medium_stakes', tier: 2 });
    const missing = await cli(['decide', '--status', 'panic', '--league', '--json', '--minutes', '4']);
    expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/--league needs a value \(NAME\), got the flag '--json'; write --league=VALUE for a value that starts with --/) });
    expect(JSON.parse((await cli(['decide', '--status', 'panic', '--minutes', '4', '--league=--odd', '--json'])).out)).toMatchObject({ tier: 1 });
  });

  it('an argument with a line break or a terminal escape is echoed escaped: the error stays one line and cannot drive the terminal', async () => {
    for (const args of [['a\nb\u001b[31m'], ['plan', '--x\ny'], ['plan', '--league', 'x', 'y\r\nz'], ['replay', 'missing\u001b[2J.csv']]) {
      const { code, err } = await cli(args);
      expect(code).toBeGreaterThan(0);
      expect(err.endsWith('\n')).toBe(true);
      expect([...err.slice(0, -1)].filter((char) => char.charCodeAt(0) < 0x20)).toEqual([]);
    }
  });

  it('a flag given twice, a value given to a switch, a missing value: one line each', async () => {
    expect((await cli(['decide', '--status', 'calm', '--status', 'panic'])).err.trim()).toBe('vix-ttl decide: --status is given twice');
    expect((await cli(['plan', '--json=yes'])).err.trim()).toBe('vix-ttl plan: --json takes no value, got "yes"');
    expect((await cli(['plan', '--base-ttl'])).err.trim()).toBe('vix-ttl plan: --base-ttl needs a value (SECONDS)');
    expect((await cli(['decide', '--minutes', '5'])).err.trim()).toBe('vix-ttl decide: --status is required (calm, elevated, panic)');
    expect((await cli(['plan', '-x'])).err.trim()).toBe("vix-ttl plan: unknown option '-x' (see vix-ttl plan --help)");
  });
});
