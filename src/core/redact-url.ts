/** Query parameters whose value is a credential (ioredis reads `password`, `username`, `sentinelPassword`… from the query). */
const SECRET_PARAM = /pass|pwd|token|secret|auth|user|cred|key/i;

const MASK = '***';

/**
 * A URL fit for messages and logs: the user name and password of its userinfo and
 * the values of credential query parameters (`password`, `username`, `pass`,
 * `token`, `sentinelPassword`… — any name containing pass, pwd, token, secret,
 * auth, user, cred or key) become `***`, and the fragment is dropped. A URL that
 * cannot be parsed is never echoed: only its scheme and host, when they can be
 * read, as `<unparsable URL redis://host>`. Every path that prints a Redis URL
 * goes through it (the CLI's errors, the service's logs).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return unparsable(url);
  }
  // `redis:/:pw@host` parses, with no host and the password in the path (which a Redis
  // client takes for a unix socket): a URL without a host is never echoed either.
  if (parsed.hostname === '') return unparsable(url);
  if (parsed.username) parsed.username = MASK;
  if (parsed.password) parsed.password = MASK;
  parsed.hash = '';
  for (const name of new Set(parsed.searchParams.keys())) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, MASK);
  }
  return parsed.toString();
}

/**
 * `text` (an error message from the Redis client, a log field) with every secret of
 * `url` replaced by `***`: the URL itself, its userinfo parts and its credential
 * query values, raw and percent-decoded. Use it on any text that may quote the URL
 * a connection was made with; the URL alone goes through {@link redactUrl}.
 */
export function redactSecrets(text: string, url: string): string {
  let result = text;
  for (const secret of secretsOf(url)) result = result.split(secret).join(MASK);
  return result;
}

/**
 * `text` with every URL in it (`scheme://…` or `redis:…` up to a space or a quote) that carries
 * credentials or does not parse replaced by its {@link redactUrl} form; other URLs
 * are left as they are. For free text that may quote a URL nobody named to us (a
 * stray command-line argument in a usage error).
 */
export function redactUrlsIn(text: string): string {
  // A URL ends before a space or a quote; trailing punctuation (`…:6379: error`) is the sentence's.
  // A Redis URL missing its slashes (`redis:/:pw@h`, `redis::pw@h`) counts too.
  return text.replace(/(?:[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/|\b[Rr][Ee][Dd][Ii][Ss][Ss]?:)[^\s'"`<>]*[^\s'"`<>.,;:!?)]/g, (url) => (hasSecrets(url) ? redactUrl(url) : url));
}

function hasSecrets(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '' || [...parsed.searchParams.keys()].some((name) => SECRET_PARAM.test(name)) || /@/.test(url);
  } catch {
    // A string that does not parse carries a credential in a userinfo, a query or a fragment,
    // or it is a URL cut at a space inside its password (`redis://:pass` of `redis://:pass word@h`).
    // A placeholder such as `redis://HOST:PORT` in a usage text is none of them.
    return /[@?#]/.test(url) || /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/*:/.test(url);
  }
}

/** The strings of `url` that must not be printed, longest first (so a secret containing another is masked whole). */
function secretsOf(url: string): string[] {
  // The whole string, when it can carry a credential (a string without `@` or `?` that does not parse cannot).
  const whole = parses(url) ? hasSecrets(url) : /[@?]/.test(url);
  const secrets = new Set<string>(whole ? [url, url.trim()] : []);
  // The userinfo as the writer typed it, after `scheme:` and however many slashes (`redis:/:pw@h`,
  // `redis::pw@h` parse with no host); when the URL does not parse, up to the last `@` (a password with `/`, `?` or `#`).
  const userinfo = (parses(url) ? /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/*([^/?#]*)@/ : /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/*(.*)@/s).exec(url)?.[1];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    secrets.add(userinfo).add(colon >= 0 ? userinfo.slice(colon + 1) : userinfo).add(colon >= 0 ? userinfo.slice(0, colon) : '');
    for (const part of userinfo.split(':')) secrets.add(part);
  }
  const query = url.indexOf('?');
  if (query >= 0) {
    for (const pair of url.slice(query + 1).split(/[&#]/)) {
      const equals = pair.indexOf('=');
      if (equals > 0 && SECRET_PARAM.test(decode(pair.slice(0, equals).replace(/\+/g, ' ')))) secrets.add(pair.slice(equals + 1));
    }
  }
  try {
    const parsed = new URL(url);
    secrets.add(parsed.username).add(parsed.password);
    for (const [name, value] of parsed.searchParams) if (SECRET_PARAM.test(name)) secrets.add(value);
  } catch {
    // the raw pieces above cover a URL that does not parse
  }
  for (const secret of [...secrets]) secrets.add(decode(secret)).add(decode(secret.replace(/\+/g, ' ')));
  for (const secret of [...secrets]) secrets.add(JSON.stringify(secret).slice(1, -1)); // as it reads inside a JSON log line
  return [...secrets]
    .filter((secret) => secret.trim() !== '') // masking blanks would mangle every message
    .sort((a, b) => b.length - a.length);
}

/** Scheme and host of a string that is not a URL, without anything else of it. */
function unparsable(url: string): string {
  const match = /^\s*([A-Za-z][A-Za-z0-9+.-]{0,31}):\/*([^/?#\s]*)/.exec(url);
  if (!match) return '<unparsable URL>';
  const hostAndPort = match[2]!.slice(match[2]!.lastIndexOf('@') + 1);
  const host = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::|$)/.exec(hostAndPort)?.[1];
  return `<unparsable URL ${match[1]!.toLowerCase()}://${host ?? ''}>`;
}

function parses(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
