import { request, type IncomingHttpHeaders } from 'node:http';
import { checkEvent, checkResponse } from '../support/openapi-conformance.js';

/** A response read to the end. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/**
 * One HTTP request on its own connection (`agent: false`), so a multi-worker
 * service's load balancer can hand each request to another worker. Every response is
 * checked against the service's OpenAPI document (route, status, content type, body
 * schema, error name): one the document does not describe fails the test here.
 */
export function httpRequest(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const method = options.method ?? 'GET';
        try {
          checkResponse({ method, url, status: res.statusCode ?? 0, headers: res.headers, body: text });
        } catch (error) {
          reject(error as Error);
          return;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs a JSON text (sent as is, so malformed bodies stay malformed). */
export function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return httpRequest(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

/** One server-sent event: its name and its JSON data. */
export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads `GET /v1/events` until `done` holds for the events seen, then leaves. The
 * response (status, content type) and the data of every event are checked against the
 * OpenAPI document as they arrive. `opened` gives the status and headers; `text()` is
 * everything received so far.
 */
export function readEvents(base: string, done: (events: StreamEvent[]) => boolean): { events: StreamEvent[]; finished: Promise<void>; opened: Promise<{ status: number; headers: IncomingHttpHeaders }>; text: () => string } {
  const url = `${base}/v1/events`;
  const events: StreamEvent[] = [];
  let received = '';
  let opened: (head: { status: number; headers: IncomingHttpHeaders }) => void = () => {};
  const openedPromise = new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve) => (opened = resolve));
  const finished = new Promise<void>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      try {
        checkResponse({ method: 'GET', url, status: res.statusCode ?? 0, headers: res.headers, body: '' });
      } catch (error) {
        req.destroy();
        reject(error as Error);
        return;
      }
      opened({ status: res.statusCode ?? 0, headers: res.headers });
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        received += chunk;
        buffer += chunk;
        let end: number;
        try {
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (!event || !data) continue;
            const parsed = JSON.parse(data) as Record<string, unknown>;
            checkEvent(url, event, parsed);
            events.push({ event, data: parsed });
          }
        } catch (error) {
          req.destroy();
          reject(error as Error);
          return;
        }
        if (done(events)) {
          req.destroy();
          resolve();
        }
      });
    });
    req.on('error', (error) => (error.message.includes('socket hang up') || error.message.includes('aborted') ? undefined : reject(error)));
    req.end();
  });
  return { events, finished, opened: openedPromise, text: () => received };
}

/** Polls `check` every 50 ms until it holds, or throws after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}
