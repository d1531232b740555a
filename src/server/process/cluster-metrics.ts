import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { VixTtlError } from '../../core/errors.js';

const REQUEST = 'vix-ttl:metrics-req';
const RESPONSE = 'vix-ttl:metrics-res';
const COLLECT = 'vix-ttl:metrics-collect';
const COLLECTED = 'vix-ttl:metrics-collected';

/** How long the primary waits for a worker's metrics, ms. */
const COLLECT_TIMEOUT_MS = 5000;

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
  metrics?: unknown[];
}

interface Collection {
  metrics: unknown[][];
  waiting: Set<number>;
  resolve(metrics: unknown[][]): void;
  timer: NodeJS.Timeout;
}

/**
 * In the primary of a multi-worker service: answers a worker's request for the
 * metrics of the whole service. Each worker's registry comes over IPC as
 * prom-client JSON and is aggregated with `primary` (the primary's own: the VIX
 * engine, its publisher's panic ends, its log lines) by prom-client's cluster
 * aggregation — counters and histograms summed, gauges by their own aggregator — so
 * a family both sides have (`vix_ttl_panic_episode_duration_seconds`,
 * `vix_ttl_log_lines_total`) is one family. A scrape that lands on any worker thus
 * sees every worker and the primary. Returns a function that stops answering.
 */
export function answerClusterMetrics(primary?: Registry): () => void {
  const collections = new Map<number, Collection>();
  let next = 0;
  const finish = (id: number, collection: Collection) => {
    clearTimeout(collection.timer);
    collections.delete(id);
    collection.resolve(collection.metrics);
  };
  const collectWorkers = () =>
    new Promise<unknown[][]>((resolve, reject) => {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
      if (workers.length === 0) return resolve([]);
      const id = (next = (next + 1) % Number.MAX_SAFE_INTEGER);
      const timer = setTimeout(() => {
        collections.delete(id);
        reject(new VixTtlError('VIX_TTL_CLUSTER_METRICS', `a worker did not send its metrics within ${COLLECT_TIMEOUT_MS} ms`));
      }, COLLECT_TIMEOUT_MS);
      collections.set(id, { metrics: [], waiting: new Set(workers.map((w) => w.id)), resolve, timer });
      for (const worker of workers) worker.send({ type: COLLECT, id });
    });
  const collect = async () => {
    const [workers, own] = await Promise.all([collectWorkers(), primary ? primary.getMetricsAsJSON() : Promise.resolve([])]);
    return AggregatorRegistry.aggregate([...workers, own] as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  };
  const onMessage = (worker: Worker, message: MetricsMessage) => {
    if (message?.type === COLLECTED) {
      const collection = collections.get(message.id);
      if (!collection || !collection.waiting.delete(worker.id)) return;
      if (Array.isArray(message.metrics)) collection.metrics.push(message.metrics);
      if (collection.waiting.size === 0) finish(message.id, collection);
      return;
    }
    if (message?.type !== REQUEST) return;
    collect().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (error: Error) => worker.send({ type: RESPONSE, id: message.id, error: error.message }),
    );
  };
  // A worker that exits is no longer waited for.
  const onExit = (worker: Worker) => {
    for (const [id, collection] of collections) if (collection.waiting.delete(worker.id) && collection.waiting.size === 0) finish(id, collection);
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return () => {
    cluster.removeListener('message', onMessage);
    cluster.removeListener('exit', onExit);
  };
}

/**
 * In a worker: sends `registry` (as prom-client JSON) when the primary collects, and
 * returns the function that `GET /metrics` uses to ask the primary for every
 * worker's metrics and its own.
 */
export function clusterMetricsOf(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (message: MetricsMessage) => {
    if (message?.type === COLLECT) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.connected && process.send?.({ type: COLLECTED, id: message.id, metrics }),
        () => process.connected && process.send?.({ type: COLLECTED, id: message.id, metrics: [] }),
      );
      return;
    }
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
