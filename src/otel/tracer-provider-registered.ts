import type * as OtelApi from '@opentelemetry/api';

/**
 * Whether a tracer provider (an SDK) is registered globally. Without one the API
 * hands out no-op spans, so vix-ttl's listeners on its hot paths (decisions from the
 * sync window, in-process hits) would cost something for nothing: they stay
 * unsubscribed until this turns true. A global provider the API does not know as
 * its own proxy (one registered through another copy of the API) counts as one.
 */
export function tracerProviderRegistered(api: typeof OtelApi): boolean {
  const provider = api.trace.getTracerProvider();
  if (!(provider instanceof api.ProxyTracerProvider)) return true;
  // The API's no-op provider is one shared instance: a fresh proxy's delegate is it.
  return provider.getDelegate() !== new api.ProxyTracerProvider().getDelegate();
}
