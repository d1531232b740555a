// Vitest setup file (every test file): `fetch` checks each answer of a vix-ttl service
// (one that carries `x-vix-ttl-worker`) against the OpenAPI document, as the shared
// HTTP helpers do, so a test that uses `fetch` cannot see an undocumented answer
// either. Answers of other servers (a test's own Fastify app) are left alone, and so
// are event streams, which do not end. The checker is loaded on first use only, so a
// test file that never fetches does not pay for it.
// Without isolation (the unit project) this file runs once per test file in the same
// module graph: wrap `fetch` once, or each answer would be checked (and counted) again
// per file loaded before.
const WRAPPED = Symbol.for('vix-ttl.test.fetch-conformance');
const originalFetch = globalThis.fetch;

if (!(WRAPPED in originalFetch)) globalThis.fetch = Object.assign(async function checkedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await originalFetch(input, init);
  if (!response.headers.has('x-vix-ttl-worker') || response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const url = input instanceof Request ? input.url : String(input);
  const body = method.toUpperCase() === 'HEAD' ? '' : await response.clone().text();
  const { checkResponse } = await import('./openapi-conformance.js');
  checkResponse({ method, url, status: response.status, headers: headersOf(response.headers), body });
  return response;
}, { [WRAPPED]: true });

function headersOf(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  headers.forEach((value, name) => (result[name] = value));
  return result;
}
