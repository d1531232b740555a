import { connect } from 'node:net';
import { checkResponse } from '../support/openapi-conformance.js';

/** What came back on a raw TCP connection, read until the server closed it. */
export interface RawAnswer {
  /** The first response's status code (0 when nothing came back). */
  status: number;
  /** The first response's headers, lower-cased names. */
  headers: Record<string, string>;
  /** Everything received, as text. */
  text: string;
  /** The JSON body of the last response on the connection. */
  json: () => Record<string, unknown>;
  /** Milliseconds from `startedAt` (default: the connection) to the close. */
  elapsedMs: number;
}

/**
 * Opens a raw TCP connection, writes `chunks` (each after its `delayMs` and its
 * `beforeWrite`, as a slow or pipelining client does), and resolves once the server closes the connection (or
 * `giveUpMs` passes: then it closes it and rejects with an error whose `received`
 * holds what came). For requests an HTTP client
 * library would refuse to send. Every response received is checked against the
 * service's OpenAPI document, paired with the request it answers (as far as the
 * bytes sent parse as requests; the rest count as matching no route).
 */
export function rawExchange(
  port: number,
  chunks: Array<string | { data: string; delayMs: number; beforeWrite?: () => void }>,
  options: { giveUpMs?: number; dripMs?: number; end?: boolean } = {},
): Promise<RawAnswer & { startedAt: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const startedAt = Date.now();
    let text = '';
    let drip: NodeJS.Timeout | null = null;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`the server kept the connection open for ${options.giveUpMs ?? 20_000} ms; received: ${JSON.stringify(text.slice(0, 300))}`), { received: text }));
    }, options.giveUpMs ?? 20_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {}); // a reset after the answer is the server closing
    socket.on('close', () => {
      clearTimeout(giveUp);
      if (drip) clearInterval(drip);
      try {
        checkExchanges(chunks.map((chunk) => (typeof chunk === 'string' ? chunk : chunk.data)).join(''), text);
      } catch (error) {
        reject(error as Error);
        return;
      }
      resolve({ ...parseAnswer(text), elapsedMs: Date.now() - startedAt, startedAt });
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (typeof chunk !== 'string') {
          await new Promise((r) => setTimeout(r, chunk.delayMs));
          chunk.beforeWrite?.();
        }
        if (socket.destroyed) return;
        socket.write(typeof chunk === 'string' ? chunk : chunk.data);
      }
      if (options.end) socket.end(); // half-close: the server sees the end of the request stream
      // A slowloris: one more byte every dripMs, forever, until the server cuts it.
      else if (options.dripMs) drip = setInterval(() => socket.writable && socket.write(' '), options.dripMs);
    });
  });
}

function parseAnswer(text: string): RawAnswer & { elapsedMs: number } {
  const head = text.slice(0, text.indexOf('\r\n\r\n') >= 0 ? text.indexOf('\r\n\r\n') : text.length);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const lastBody = text.slice(text.lastIndexOf('\r\n\r\n') + 4);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text, json: () => JSON.parse(lastBody) as Record<string, unknown>, elapsedMs: 0 };
}

/** One HTTP response out of a raw answer. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Splits a raw answer into its responses (by `Content-Length`; a response without one
 * ends the list). Interim `1xx` responses are skipped; `bodiless(i)` says that the
 * i-th response has no body whatever its `Content-Length` (the answer to a HEAD).
 */
export function splitResponses(text: string, bodiless: (index: number) => boolean = () => false): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const { status, headers } = parseAnswer(rest.slice(0, end + 4));
    if (status >= 100 && status < 200) {
      rest = rest.slice(end + 4);
      continue;
    }
    const length = bodiless(responses.length) ? 0 : Number(headers['content-length'] ?? Number.NaN);
    if (!Number.isInteger(length)) {
      responses.push({ status, headers, body: rest.slice(end + 4) });
      break;
    }
    const body = Buffer.from(rest.slice(end + 4), 'utf8').subarray(0, length).toString('utf8');
    responses.push({ status, headers, body });
    rest = rest.slice(end + 4 + body.length);
  }
  return responses;
}

/** The method and target of each request in the bytes sent (pipelined ones in order), as far as they parse. */
export function sentRequests(sent: string): Array<{ method: string; target: string }> {
  const requests: Array<{ method: string; target: string }> = [];
  let rest = sent;
  while (rest.length > 0) {
    const lineEnd = rest.search(/\r?\n/);
    const [method = '', target = ''] = (lineEnd < 0 ? rest : rest.slice(0, lineEnd)).split(' ');
    requests.push({ method, target });
    const headEnd = rest.search(/\r?\n\r?\n/);
    if (lineEnd < 0 || headEnd < 0) break;
    const head = rest.slice(0, headEnd);
    rest = rest.slice(headEnd + (/^\r?\n\r?\n/.exec(rest.slice(headEnd))?.[0].length ?? 2));
    const length = /^content-length:\s*(\d+)\s*$/im.exec(head);
    if (/^transfer-encoding:.*chunked/im.test(head)) {
      const last = rest.search(/(^|\r\n)0\r\n\r\n/);
      if (last < 0) break;
      rest = rest.slice(rest.indexOf('0\r\n\r\n', last) + 5);
    } else if (length) rest = Buffer.from(rest, 'utf8').subarray(Number(length[1])).toString('utf8');
  }
  return requests;
}

/** Checks each response received against the OpenAPI document, with the request it answers. */
function checkExchanges(sent: string, received: string): void {
  const requests = sentRequests(sent);
  const responses = splitResponses(received, (i) => requests[i]?.method === 'HEAD');
  responses.forEach((response, i) => {
    const { method, target } = requests[i] ?? { method: '', target: '' };
    checkResponse({ method, url: target, status: response.status, headers: response.headers, body: response.body });
  });
}
