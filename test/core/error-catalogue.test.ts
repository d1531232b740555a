import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../../src/core/errors.js';
import { storeFailureOf, storeFailureReason } from '../../src/core/store-failure.js';
import * as library from '../../src/index.js';
import { ERROR_CODES, HTTP_ERRORS, httpErrorOf, isVixTtlError, MemoryPanicClock, StoreBusyError, StoreTimeoutError, VixTtlError, type HttpErrorName, type VixTtlErrorCode } from '../../src/index.js';
import { CliUsageError } from '../../src/cli/cli-error.js';
import { errorResponse } from '../../src/server/http/error-handler.js';
import * as service from '../../src/server/index.js';
import { createServer, HttpError, type VixTtlServer } from '../../src/server/index.js';

const CODES = Object.keys(ERROR_CODES) as VixTtlErrorCode[];
const NAMES = Object.keys(HTTP_ERRORS) as HttpErrorName[];

/** Every error class the package exports (both entries) and the CLI's, found rather than listed. */
const ERROR_CLASSES = [...new Set([...Object.values(library), ...Object.values(service), CliUsageError])].filter(
  (value): value is typeof VixTtlError => typeof value === 'function' && value.prototype instanceof Error && (value === VixTtlError || value.prototype instanceof VixTtlError),
);

/** A second copy of the errors module, as a second copy of the package in node_modules would load it. */
async function secondCopy(): Promise<typeof errors> {
  const specifier = '../../src/core/errors.js?second-copy';
  const copy = (await import(/* @vite-ignore */ specifier)) as typeof errors;
  expect(copy.VixTtlError).not.toBe(errors.VixTtlError); // really another copy, with its own classes
  return copy;
}

describe('one catalogue of error codes, with their HTTP status and message', () => {
  it('every code has an HTTP error of the catalogue and a message; every HTTP error has a 4xx/5xx status and a message', () => {
    expect(CODES.length).toBeGreaterThan(10);
    for (const code of CODES) {
      expect(code).toMatch(/^VIX_TTL_[A-Z_]+$/);
      expect(NAMES, code).toContain(ERROR_CODES[code].http);
      expect(ERROR_CODES[code].message.length, code).toBeGreaterThan(10);
    }
    for (const name of NAMES) {
      expect(name).toMatch(/^[a-z_]+$/);
      expect(HTTP_ERRORS[name].status, name).toBeGreaterThanOrEqual(400);
      expect(HTTP_ERRORS[name].status, name).toBeLessThan(600);
      expect(HTTP_ERRORS[name].message.length, name).toBeGreaterThan(10);
    }
  });

  it('the codes and HTTP error names already public keep their spelling', () => {
    for (const code of ['VIX_TTL_INVALID_INPUT', 'VIX_TTL_INVALID_CONFIG', 'VIX_TTL_STORE_ERROR', 'VIX_TTL_STORE_TIMEOUT', 'VIX_TTL_STORE_BUSY', 'VIX_TTL_LOAD_TIMEOUT', 'VIX_TTL_CLOSED', 'VIX_TTL_VIX_BUSY', 'VIX_TTL_VIX_UNAVAILABLE', 'VIX_TTL_TICK_FILE', 'VIX_TTL_USAGE', 'VIX_TTL_CLUSTER_METRICS', 'VIX_TTL_HTTP_ERROR']) {
      expect(CODES).toContain(code);
    }
    for (const name of ['invalid_body', 'invalid_json', 'body_too_large', 'too_many_ticks', 'unsupported_media_type', 'unauthorized', 'admin_disabled', 'not_found', 'headers_too_large', 'request_timeout', 'expectation_failed', 'shutting_down', 'method_not_allowed', 'too_many_clients', 'store_unavailable', 'metrics_unavailable', 'vix_unavailable', 'busy', 'bad_request', 'internal_error']) {
      expect(NAMES).toContain(name);
    }
  });

  it('every error class carries a code of the catalogue, as a static and on each instance', () => {
    expect(ERROR_CLASSES.map((c) => c.name)).toEqual(expect.arrayContaining(['VixTtlError', 'InvalidInputError', 'StoreTimeoutError', 'LoaderTimeoutError', 'HttpError', 'VixBusyError', 'TickFileError', 'CliUsageError']));
    for (const ErrorClass of ERROR_CLASSES) {
      if (ErrorClass === VixTtlError) continue;
      expect(CODES, ErrorClass.name).toContain(ErrorClass.code);
      const instance = new (ErrorClass as unknown as new (...args: unknown[]) => VixTtlError)('not_found', 'x', 'y');
      expect(instance.code, ErrorClass.name).toBe(ErrorClass.code);
      expect(instance.name).toBe(ErrorClass.name);
    }
  });

  it('the service answers every library error with the status and name the catalogue gives its code', () => {
    for (const code of CODES.filter((c) => c !== 'VIX_TTL_HTTP_ERROR')) {
      const { status, body } = errorResponse(new VixTtlError(code, `failure ${code}`));
      const { http } = ERROR_CODES[code];
      expect({ code, status, error: body.error }).toEqual({ code, status: HTTP_ERRORS[http].status, error: http });
      expect(httpErrorOf(code)).toEqual({ status, error: http });
      // A server fault says nothing of itself to the client.
      expect(body.message).toBe(status === 500 ? 'internal error; see the server log' : `failure ${code}`);
    }
    expect(errorResponse(new library.InvalidInputError('match.league', 'must be a string', 3)).body).toEqual({ error: 'invalid_body', field: 'match.league', message: 'match.league must be a string, got 3' });
    expect(errorResponse(new StoreTimeoutError(50))).toMatchObject({ status: 503, body: { error: 'store_unavailable', field: null } });
    expect(errorResponse(new Error('a bug'))).toEqual({ status: 500, body: { error: 'internal_error', field: null, message: 'internal error; see the server log' } });
  });

  it('every HTTP error name gives the HTTP error shape with the status of the catalogue', () => {
    for (const name of NAMES) {
      const error = new HttpError(name, 'body', `because ${name}`);
      expect(error.statusCode).toBe(HTTP_ERRORS[name].status);
      expect(errorResponse(error)).toEqual({ status: HTTP_ERRORS[name].status, body: { error: name, field: 'body', message: `because ${name}` } });
    }
  });

  describe('a closed breaker is a 503 shutting_down (its code maps through the catalogue), not a 500', () => {
    let server: VixTtlServer;
    beforeAll(async () => {
      server = await createServer({ clock: new MemoryPanicClock(), defaultMetrics: false });
    });
    afterAll(async () => server.app.close());

    it('POST /v1/ttl after the breaker was closed', async () => {
      await server.breaker.close();
      const response = await server.app.inject({ method: 'POST', url: '/v1/ttl', payload: { baseTtl: 60, vixStatus: 'calm' } });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ error: 'shutting_down', field: null, message: 'this VixCircuitBreaker is closed' });
    });
  });
});

describe('errors are branded: checks hold for an error thrown by another copy of vix-ttl', () => {
  it('instanceof, isVixTtlError and the failure classifier recognise the other copy\'s errors by brand and code', async () => {
    const copy = await secondCopy();
    const timeout = new copy.StoreTimeoutError(50);
    const busy = new copy.StoreBusyError('brain:panic_start_ts');
    expect(Object.getPrototypeOf(timeout)).not.toBe(StoreTimeoutError.prototype);
    expect(timeout).toBeInstanceOf(StoreTimeoutError);
    expect(timeout).toBeInstanceOf(VixTtlError);
    expect(timeout).not.toBeInstanceOf(StoreBusyError);
    expect(busy).toBeInstanceOf(StoreBusyError);
    expect(isVixTtlError(timeout)).toBe(true);
    expect(isVixTtlError(timeout, 'VIX_TTL_STORE_TIMEOUT')).toBe(true);
    expect(isVixTtlError(timeout, 'VIX_TTL_STORE_BUSY')).toBe(false);
    expect(storeFailureOf(timeout)).toBe('timeout');
    expect(storeFailureOf(busy)).toBe('busy');
    expect(storeFailureReason(storeFailureOf(busy))).toBe('store_busy');
    expect(errorResponse(new copy.InvalidInputError('baseTtl', 'must be ≥ 0', -1))).toMatchObject({ status: 400, body: { error: 'invalid_body', field: 'baseTtl' } });
    // And the other way round: this copy's errors in the other copy's checks.
    expect(new StoreTimeoutError(5)).toBeInstanceOf(copy.StoreTimeoutError);
    expect(copy.isVixTtlError(new StoreBusyError('k'), 'VIX_TTL_STORE_BUSY')).toBe(true);
  });

  it('an object that only looks like one (a code, no brand) is not a vix-ttl error; a plain Error is classified a store error', () => {
    const lookalike = { code: 'VIX_TTL_STORE_TIMEOUT', message: 'fake', name: 'StoreTimeoutError' };
    expect(isVixTtlError(lookalike)).toBe(false);
    expect(lookalike).not.toBeInstanceOf(StoreTimeoutError);
    expect(storeFailureOf(lookalike)).toBe('error');
    expect(storeFailureOf(new Error('ECONNREFUSED'))).toBe('error');
    expect(isVixTtlError(null)).toBe(false);
    expect(isVixTtlError('VIX_TTL_STORE_TIMEOUT')).toBe(false);
  });

  it('a value whose properties throw (a revoked proxy a broken store rejected with) is classified, not thrown', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(isVixTtlError(proxy)).toBe(false);
    expect(proxy instanceof StoreTimeoutError).toBe(false);
    expect(storeFailureOf(proxy)).toBe('error');
  });

});
