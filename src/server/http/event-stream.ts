import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';
import type { ServiceMetrics } from '../state/service-metrics.js';
import type { ServiceState } from '../state/service-state.js';

/** Options of {@link EventStream}. */
export interface EventStreamOptions {
  state: ServiceState;
  /** Period of the state events. Default 1,000 ms. */
  intervalMs?: number;
  /** Period of the comment lines that keep proxies from closing an idle stream. Default 15,000 ms. */
  heartbeatMs?: number;
  /** Most connected clients; more get 503. Default 100. */
  maxClients?: number;
  metrics?: ServiceMetrics;
  logger?: FastifyBaseLogger;
  /** Extra response headers (the security headers: a hijacked reply skips the app's hooks' headers). */
  headers?: Record<string, string>;
}

/** A client whose socket buffers more than this is too slow to follow and is dropped. */
const MAX_BUFFERED_BYTES = 1_048_576;

/**
 * `GET /v1/events`: the service state as server-sent events (`event: state`),
 * every `intervalMs` and soon after a change, with heartbeats, and other events as
 * they happen (`event: transition`, a VIX status change). One snapshot is built per
 * tick and written to every client; timers run only while a client is connected,
 * and a disconnected client is forgotten at once.
 */
export class EventStream {
  readonly #state: ServiceState;
  readonly #intervalMs: number;
  readonly #heartbeatMs: number;
  readonly #maxClients: number;
  readonly #metrics: ServiceMetrics | undefined;
  readonly #logger: FastifyBaseLogger | undefined;
  readonly #headers: Record<string, string>;
  readonly #clients = new Set<ServerResponse>();
  #ticker: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #pending: NodeJS.Timeout | null = null;
  #sequence = 0;
  #closed = false;

  constructor(options: EventStreamOptions) {
    this.#state = options.state;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#maxClients = options.maxClients ?? 100;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#headers = options.headers ?? {};
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over the request's socket and streams to it until the client leaves. */
  attach(request: FastifyRequest, reply: FastifyReply): void {
    if (this.#closed) throw new HttpError('too_many_clients', null, 'the service is shutting down');
    if (this.#clients.size >= this.#maxClients) throw new HttpError('too_many_clients', null, `at most ${this.#maxClients} event stream clients`);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...this.#headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-vix-ttl-worker': String(process.pid),
    });
    res.write(`retry: 3000\n\n`);
    this.#clients.add(res);
    this.#metrics?.eventClients(this.#clients.size);
    const forget = () => this.#remove(res);
    request.raw.once('close', forget);
    res.once('close', forget);
    res.once('error', forget);
    this.#start();
    void this.#push(res);
  }

  /** Pushes a fresh state soon (changes are coalesced over 100 ms). */
  notify(): void {
    if (this.#clients.size === 0 || this.#pending) return;
    this.#pending = setTimeout(() => {
      this.#pending = null;
      void this.#broadcast(0);
    }, 100);
  }

  /** Sends one event of another kind (`transition`…) to every client now; nothing when none is connected. */
  send(event: string, data: unknown): void {
    if (this.#clients.size === 0 || this.#closed) return;
    this.#sequence += 1;
    this.#write(`id: ${this.#sequence}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every stream and stops the timers (on shutdown). */
  close(): void {
    this.#closed = true;
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #start(): void {
    if (this.#ticker) return;
    this.#ticker = setInterval(() => void this.#broadcast(this.#intervalMs / 2), this.#intervalMs);
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), this.#heartbeatMs);
  }

  #stop(): void {
    for (const timer of [this.#ticker, this.#heartbeat, this.#pending]) if (timer) clearInterval(timer);
    this.#ticker = this.#heartbeat = this.#pending = null;
  }

  #remove(res: ServerResponse): void {
    if (!this.#clients.delete(res)) return;
    this.#metrics?.eventClients(this.#clients.size);
    if (this.#clients.size === 0) this.#stop();
  }

  async #push(res: ServerResponse): Promise<void> {
    const frame = await this.#frame(this.#intervalMs / 2);
    if (frame && this.#clients.has(res)) this.#send(res, frame);
  }

  async #broadcast(maxAgeMs: number): Promise<void> {
    if (this.#clients.size === 0) return;
    const frame = await this.#frame(maxAgeMs);
    if (frame) this.#write(frame);
  }

  async #frame(maxAgeMs: number): Promise<string | null> {
    try {
      const snapshot = await this.#state.snapshot(maxAgeMs);
      this.#sequence += 1;
      return `id: ${this.#sequence}\nevent: state\ndata: ${JSON.stringify(snapshot)}\n\n`;
    } catch (error) {
      this.#logger?.error({ err: error }, 'VIX_TTL_EVENT_STREAM_ERROR');
      return null;
    }
  }

  #write(frame: string): void {
    for (const res of this.#clients) this.#send(res, frame);
  }

  #send(res: ServerResponse, frame: string): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
      this.#remove(res);
      return;
    }
    res.write(frame);
  }
}
