import type * as OtelApi from '@opentelemetry/api';

/**
 * Returns a check of whether a tracer provider (an SDK) is registered globally.
 * Without one the API hands out no-op spans, so vix-ttl's listeners on its hot
 * paths (decisions from the sync window, hits) would cost something for nothing:
 * they stay unsubscribed until this turns true. A global provider the API does not
 * know as its own proxy (one registered through another copy of the API) counts as one.
 */
export function tracerProviderCheck(api: typeof OtelApi): () => boolean {
  // The API's no-op provider is one shared instance: a fresh proxy's delegate is it.
  const noop = new api.ProxyTracerProvider().getDelegate();
  return () => {
    const provider = api.trace.getTracerProvider();
    return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noop;
  };
}
