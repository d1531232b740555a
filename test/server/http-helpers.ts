import { request } from 'node:http';

/** A response read to the end. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/**
 * One HTTP request on its own connection (`agent: false`), so a multi-worker
 * service's load balancer can hand each request to another worker.
 */
export function httpRequest(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }));
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

/** Polls `check` every 50 ms until it holds, or throws after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}
