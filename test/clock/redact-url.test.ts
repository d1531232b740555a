import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, redactUrlsIn } from '../../src/core/redact-url.js';

describe('redactUrl: a Redis URL fit for messages and logs', () => {
  const cases: Array<[string, string, string]> = [
    ['a password in the userinfo', 'redis://:hunter2-secret@10.0.0.5:6379', 'redis://:***@10.0.0.5:6379'],
    ['a user name and a password', 'rediss://ops:hunter2-secret@cache.internal:6380/2', 'rediss://***:***@cache.internal:6380/2'],
    ['a password query parameter (ioredis authenticates with it)', 'redis://10.0.0.5:6379/?password=hunter2-secret', 'redis://10.0.0.5:6379/?password=***'],
    ['username, pass and token parameters; db kept', 'redis://h:1/?username=ops&pass=a&token=b&db=3', 'redis://h:1/?username=***&pass=***&token=***&db=3'],
    ['sentinelPassword, in any case', 'redis://h:1/?SentinelPassword=x', 'redis://h:1/?SentinelPassword=***'],
    ['a percent-encoded parameter name', 'redis://h:1/?pass%77ord=x', 'redis://h:1/?password=***'],
    ['a fragment is dropped', 'redis://h:1/#password=x', 'redis://h:1/'],
    ['nothing to hide', 'redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['an unparsable port: scheme and host only', 'redis://:hunter2-secret@127.0.0.1:99999', '<unparsable URL redis://127.0.0.1>'],
    ['a broken IPv6 host: the scheme only', 'redis://:hunter2-secret@[::1', '<unparsable URL redis://>'],
    ['a password with a slash: nothing after the scheme', 'redis://:hunter/2@h:99999', '<unparsable URL redis://>'],
    ['not a URL at all', 'hunter2-secret', '<unparsable URL>'],
    ['one slash: parses with no host, the password in the path (a Redis client takes it for a unix socket)', 'redis:/:hunter2-secret@127.0.0.1:1', '<unparsable URL redis://127.0.0.1>'],
    ['no slash at all', 'redis::hunter2-secret@127.0.0.1:1', '<unparsable URL redis://127.0.0.1>'],
    ['three slashes: no host', 'redis:///:hunter2-secret@127.0.0.1:1', '<unparsable URL redis://127.0.0.1>'],
  ];
  it.each(cases)('%s', (_name, url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactSecrets and redactUrlsIn: free text', () => {
  it('masks the URL, its userinfo and its credential values, raw, decoded and JSON-escaped', () => {
    const url = 'redis://ops:p%40ss"w@h:1/?token=t0k3n-value';
    const text = `cannot use ${url}: user ops, password p@ss"w, ${JSON.stringify('p@ss"w')}, token t0k3n-value`;
    const masked = redactSecrets(text, url);
    for (const secret of ['p@ss"w', 'p%40ss', 'p@ss\\"w', 't0k3n-value']) expect(masked).not.toContain(secret);
    expect(masked).toContain('cannot use ***');
  });

  it('a value that cannot carry a credential (blank, a word) masks nothing: messages stay readable', () => {
    for (const value of [' ', 'a', 'not a url', 'redis://h:99999']) expect(redactSecrets('--redis must be a URL like redis://127.0.0.1:6379, got a bad one', value)).toBe('--redis must be a URL like redis://127.0.0.1:6379, got a bad one');
  });

  it('leaves a URL without secrets as it is', () => {
    expect(redactSecrets('connect ECONNREFUSED redis://127.0.0.1:1', 'redis://127.0.0.1:1')).toBe('connect ECONNREFUSED redis://127.0.0.1:1');
    expect(redactUrlsIn('listening on http://127.0.0.1:8080')).toBe('listening on http://127.0.0.1:8080');
  });

  it('a connection error quoting the path of a one-slash URL (ioredis: connect ENOENT /:pw@host) shows no secret', () => {
    const url = 'redis:/:hunter2-secret@127.0.0.1:1';
    expect(redactSecrets('connect ENOENT /:hunter2-secret@127.0.0.1:1', url)).toBe('connect ENOENT /***@127.0.0.1:1');
  });

  it('a placeholder in a usage text (redis://HOST:PORT) is left as written, not taken for a broken URL', () => {
    const usage = 'needs a shared clock: pass --redis redis://HOST:PORT or set REDIS_URL (the in-memory clock lives inside one process)';
    expect(redactUrlsIn(usage)).toBe(usage);
  });

  it('redacts any URL with credentials found in a text', () => {
    expect(redactUrlsIn("Unexpected argument 'redis://:hunter2-secret@h:1'")).toBe("Unexpected argument 'redis://:***@h:1'");
    expect(redactUrlsIn('got redis://:hunter2-secret@[::1 here')).toBe('got <unparsable URL redis://> here');
    expect(redactUrlsIn('cannot reach redis://:hunter2-secret@h:6379: WRONGPASS')).toBe('cannot reach redis://:***@h:6379: WRONGPASS');
  });

  // Secrets that cannot appear by chance in the rest of the URL.
  const secret = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=%@:/?#[]"\\ '), minLength: 6, maxLength: 40 }).map((s) => `Zq${s}`);
  const e = encodeURIComponent;
  // Where the URL carries the secret: percent-encoded as it should be, or raw as a hurried operator types it.
  const place = fc.constantFrom(
    (s: string) => `redis://:${e(s)}@127.0.0.1:6379`,
    (s: string) => `redis://${e(s)}:${e(s)}@127.0.0.1:6379/0`,
    (s: string) => `redis://127.0.0.1:6379/?password=${e(s)}`,
    (s: string) => `redis://127.0.0.1:6379/?db=1&username=u&pass=${e(s)}`,
    (s: string) => `rediss://h:6380?token=${e(s)}&family=6`,
    (s: string) => `redis://:${e(s)}@127.0.0.1:99999`,
    (s: string) => `redis://:${e(s)}@[::1`,
    (s: string) => `http://:${e(s)}@127.0.0.1:1/?password=${e(s)}`,
    (s: string) => `redis://:${s}@127.0.0.1:6379`,
    (s: string) => `redis://127.0.0.1:6379/?password=${s}`,
    (s: string) => `redis:/:${e(s)}@127.0.0.1:6379`,
    (s: string) => `redis::${e(s)}@127.0.0.1:6379`,
  );

  it('never shows a secret, whatever it holds and wherever the URL carries it (property)', () => {
    fc.assert(
      fc.property(secret, place, (s, build) => {
        const url = build(s);
        const forms = url.includes(e(s)) ? [s, e(s)] : [s];
        const outputs = [redactUrl(url), redactSecrets(`error for ${url}: ${forms.join(' / ')} / ${JSON.stringify(s)}`, url), redactUrlsIn(`'${url}'`)];
        for (const output of outputs) for (const form of forms) expect(output).not.toContain(form);
      }),
      { numRuns: 2000 },
    );
  });
});
