import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';
import { VixTtlError } from '../../core/errors.js';
import { PRIMARY_ANSWER_TIMEOUT_MS, sendToPrimary, sendToWorker } from './ipc-send.js';

/** A worker asks the primary for the whole service's metrics (its `GET /metrics`). */
const REQUEST = 'vix-ttl:metrics-req';
/** The primary's answer to {@link REQUEST}: the Prometheus text, or an error. */
const RESPONSE = 'vix-ttl:metrics-res';
/** The primary asks every worker for its registry (as JSON), for one aggregation. */
const COLLECT = 'vix-ttl:metrics-collect';
/** A worker's registry, answering {@link COLLECT}. */
const COLLECTED = 'vix-ttl:metrics-collected';

/** Default longest wait of the primary for the workers' registries; a worker later than that is left out of the scrape. */
export const DEFAULT_COLLECT_TIMEOUT_MS = 2000;

/** One registry as `getMetricsAsJSON()` gives it. */
type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
  metrics?: MetricJson[];
}

/** Options of {@link answerClusterMetrics}. */
export interface ClusterMetricsOptions {
  /**
   * The primary's own registries (the restart counter, the VIX engine's, its publisher's
   * panic ends, its log lines), aggregated with the workers' registries: a family both
   * sides have (`vix_ttl_log_lines_total`, `vix_ttl_panic_episode_duration_seconds`) is one
   * family, summed, never two blocks of one name.
   */
  registries?: readonly Registry[] | undefined;
  /** More Prometheus text, appended after the aggregate (families no worker has). */
  extra?: (() => Promise<string>) | undefined;
  /** Where the primary registers `vix_ttl_cluster_scrape_workers_missing` (list it in `registries` too). */
  registry?: Registry | undefined;
  /** Longest wait for the workers' registries, ms. Default {@link DEFAULT_COLLECT_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

interface Collection {
  id: number;
  /** Workers asked and not answered yet. */
  waiting: Set<number>;
  /** Workers asked. */
  asked: number;
  /** The registries the workers sent (one per worker that answered). */
  answers: MetricJson[];
  answered: number;
  finish: () => void;
}

/**
 * In the primary of a multi-worker service: answers a worker's request for the
 * metrics of the whole service. Every worker that listens is asked for its registry;
 * the answers are aggregated with the primary's `registries` as prom-client's cluster
 * mode does (counters and histograms summed, gauges by their own aggregator), followed
 * by `extra`. A
 * worker that dies, disconnects or does not answer within `timeoutMs` is left out
 * and counted in `vix_ttl_cluster_scrape_workers_missing`: the scrape answers with
 * what it has instead of failing. Concurrent requests share one collection, and
 * no answer is ever sent to a worker that is gone (a failed IPC send is logged,
 * never an unhandled `'error'` that would take the primary down).
 * Returns a function that stops answering.
 */
export function answerClusterMetrics(options: ClusterMetricsOptions = {}): () => void {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
  const { logger, registry } = options;
  let missing = 0;
  const missingGauge: Gauge | null = registry
    ? new Gauge({
        name: 'vix_ttl_cluster_scrape_workers_missing',
        help: 'Workers whose metrics the last aggregated scrape lacks (gone, disconnected or slower than the collection timeout).',
        registers: [registry],
        collect: () => missingGauge?.set(missing),
      })
    : null;
  /** Workers whose server listens (their answer to a collection is installed by then). */
  const listening = new Map<number, Worker>();
  let next = 0;
  let current: Collection | null = null;
  let running: Promise<string> | null = null;

  const collectWorkers = (): Promise<MetricJson[]> =>
    new Promise((resolve) => {
      const id = (next = (next + 1) % Number.MAX_SAFE_INTEGER);
      const collection: Collection = { id, waiting: new Set(), asked: 0, answers: [], answered: 0, finish: () => {} };
      const timer = setTimeout(() => collection.finish(), timeoutMs);
      collection.finish = () => {
        if (current !== collection) return;
        current = null;
        clearTimeout(timer);
        missing = collection.asked - collection.answered;
        if (missing > 0) logger?.warn({ missing, asked: collection.asked, timeout_ms: timeoutMs }, 'VIX_TTL_CLUSTER_SCRAPE_PARTIAL: some workers did not answer; the scrape shows the others');
        resolve(collection.answers);
      };
      current = collection;
      const asked = [...listening.values()];
      collection.asked = asked.length;
      for (const worker of asked) collection.waiting.add(worker.id);
      for (const worker of asked) {
        sendToWorker(worker, { type: COLLECT, id }, (error) => {
          logger?.debug({ err: error.message, pid: worker.process.pid }, 'VIX_TTL_IPC_SEND_FAILED');
          if (collection.waiting.delete(worker.id) && collection.waiting.size === 0) collection.finish();
        });
      }
      if (collection.waiting.size === 0) collection.finish();
    });

  const collect = (): Promise<string> => {
    running ??= (async () => {
      try {
        const [answers, own, primary] = await Promise.all([
          collectWorkers(),
          Promise.all((options.registries ?? []).map((r) => r.getMetricsAsJSON())),
          options.extra ? options.extra() : Promise.resolve(''),
        ]);
        const aggregate = await AggregatorRegistry.aggregate([...answers, ...own]).metrics();
        return primary === '' ? aggregate : `${aggregate}\n${primary}`;
      } finally {
        running = null;
      }
    })();
    return running;
  };

  const onMessage = (worker: Worker, message: MetricsMessage) => {
    if (message?.type === COLLECTED) {
      const collection = current;
      if (!collection || message.id !== collection.id || !collection.waiting.delete(worker.id)) return;
      if (Array.isArray(message.metrics) && message.metrics.length > 0) {
        collection.answered += 1;
        for (const metrics of message.metrics) collection.answers.push(metrics);
      }
      if (collection.waiting.size === 0) collection.finish();
      return;
    }
    if (message?.type !== REQUEST) return;
    const answer = (reply: MetricsMessage) =>
      sendToWorker(worker, reply, (error) => logger?.debug({ err: error.message, pid: worker.process.pid }, 'VIX_TTL_IPC_SEND_FAILED: the worker that asked for the metrics is gone'));
    collect().then(
      (text) => answer({ type: RESPONSE, id: message.id, text }),
      (error: Error) => answer({ type: RESPONSE, id: message.id, error: error.message }),
    );
  };
  const onListening = (worker: Worker) => listening.set(worker.id, worker);
  // A worker gone while it was being asked: the collection stops waiting for it.
  const onGone = (worker: Worker) => {
    listening.delete(worker.id);
    const collection = current;
    if (collection?.waiting.delete(worker.id) && collection.waiting.size === 0) collection.finish();
  };
  cluster.on('message', onMessage);
  cluster.on('listening', onListening);
  cluster.on('disconnect', onGone);
  cluster.on('exit', onGone);
  return () => {
    cluster.removeListener('message', onMessage);
    cluster.removeListener('listening', onListening);
    cluster.removeListener('disconnect', onGone);
    cluster.removeListener('exit', onGone);
    current?.finish();
    if (registry && missingGauge) registry.removeSingleMetric('vix_ttl_cluster_scrape_workers_missing');
  };
}

/**
 * In a worker: answers the primary's collections with `registry` (as JSON), and
 * returns the function that `GET /metrics` uses to ask the primary for every
 * worker's metrics (rejecting after `timeoutMs` without an answer).
 */
export function clusterMetricsOf(registry: Registry, timeoutMs = PRIMARY_ANSWER_TIMEOUT_MS): () => Promise<string> {
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (message: MetricsMessage) => {
    if (message?.type === COLLECT) {
      registry.getMetricsAsJSON().then(
        (metrics) => sendToPrimary({ type: COLLECTED, id: message.id, metrics: [metrics] }),
        () => sendToPrimary({ type: COLLECTED, id: message.id, metrics: [] }),
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
      const id = (next = (next + 1) % Number.MAX_SAFE_INTEGER);
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new VixTtlError('VIX_TTL_CLUSTER_METRICS', `the primary did not aggregate the metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      sendToPrimary({ type: REQUEST, id }, (error) => {
        if (!pending.delete(id)) return;
        clearTimeout(timer);
        reject(new VixTtlError('VIX_TTL_CLUSTER_METRICS', `no primary to aggregate the metrics: ${error.message}`));
      });
    });
}
