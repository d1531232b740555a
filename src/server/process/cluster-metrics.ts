import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { VixTtlError } from '../../core/errors.js';

const REQUEST = 'vix-ttl:metrics-req';
const RESPONSE = 'vix-ttl:metrics-res';

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

/**
 * In the primary of a multi-worker service: answers a worker's request for the
 * metrics of the whole service with prom-client's cluster aggregation (counters
 * and histograms summed, gauges by their own aggregator), followed by `extra`: the
 * primary's own metrics (the VIX engine runs there), whose families no worker has.
 * A scrape that lands on any worker thus sees every worker and the primary.
 * Returns a function that stops answering.
 */
export function answerClusterMetrics(extra?: () => Promise<string>): () => void {
  const aggregator = new AggregatorRegistry();
  const collect = async () => {
    const [workers, primary] = await Promise.all([aggregator.clusterMetrics(), extra ? extra() : Promise.resolve('')]);
    return primary === '' ? workers : `${workers}\n${primary}`;
  };
  const onMessage = (worker: { send(message: MetricsMessage): unknown }, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    collect().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (error: Error) => worker.send({ type: RESPONSE, id: message.id, error: error.message }),
    );
  };
  cluster.on('message', onMessage);
  return () => cluster.removeListener('message', onMessage);
}

/**
 * In a worker: lets the primary collect `registry`, and returns the function that
 * `GET /metrics` uses to ask the primary for every worker's metrics.
 */
export function clusterMetricsOf(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  new AggregatorRegistry(); // installs the worker's answer to the primary's collection requests
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (message: MetricsMessage) => {
    if (message?.type !== RESPONSE) return;
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    clearTimeout(request.timer);
    if (message.text !== undefined) request.resolve(message.text);
    else request.reject(new VixTtlError('VIX_TTL_CLUSTER_METRICS', `the primary could not aggregate the workers' metrics: ${message.error}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      if (!process.send || !process.connected) return reject(new VixTtlError('VIX_TTL_CLUSTER_METRICS', 'no primary to aggregate the metrics'));
      const id = (next = (next + 1) % Number.MAX_SAFE_INTEGER);
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new VixTtlError('VIX_TTL_CLUSTER_METRICS', `the primary did not aggregate the metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      process.send({ type: REQUEST, id });
    });
}
