import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../core/redis-script.js';
import type { StoreSubscriberHandlers, StoreSubscriberOptions, StoreSubscription } from './cache-store.js';

type Connection = Redis | Cluster;

/**
 * A pub/sub subscription on a connection of its own (`redis.duplicate()`), with an
 * honest health state: healthy only once every channel is subscribed since the
 * last connect, and only while pings are answered within `timeoutMs`. Every loss
 * (close, reconnect, unanswered ping) is reported at once, because a message
 * published meanwhile is lost for good: the listener must stop trusting what the
 * messages kept up to date. The connection resubscribes by itself when it is back.
 */
export class RedisSubscription implements StoreSubscription {
  readonly #connection: Connection;
  readonly #channels: readonly string[];
  readonly #handlers: StoreSubscriberHandlers;
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;
  #healthy = false;
  #closed = false;
  /** Bumped at every connect: a subscribe answered for an older connection says nothing. */
  #epoch = 0;
  #pinging = false;

  constructor(redis: RedisClient, channels: readonly string[], handlers: StoreSubscriberHandlers, options: StoreSubscriberOptions) {
    this.#channels = channels;
    this.#handlers = handlers;
    this.#timeoutMs = options.timeoutMs;
    const overrides = { autoResubscribe: false, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 };
    this.#connection = (redis as Redis).duplicate(overrides as never) as Connection;
    const connection = this.#connection;
    connection.on('error', () => {});
    connection.on('message', (channel: string, message: string) => {
      if (this.#closed) return;
      try {
        this.#handlers.message(channel, message);
      } catch {
        // The listener's failure is its own.
      }
    });
    connection.on('ready', () => this.#subscribe());
    for (const event of ['close', 'end', 'reconnecting']) connection.on(event, () => this.#lost());
    this.#timer = setInterval(() => void this.#ping(), options.heartbeatMs);
    this.#timer.unref();
    connection.connect().catch(() => {}); // it retries on its own; health stays false meanwhile
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#set(false);
    this.#connection.disconnect();
  }

  async #subscribe(): Promise<void> {
    const epoch = ++this.#epoch;
    try {
      await this.#connection.subscribe(...this.#channels);
      if (epoch === this.#epoch && !this.#closed && this.#connection.status === 'ready') this.#set(true);
    } catch {
      if (epoch === this.#epoch && !this.#closed) this.#connection.disconnect(true);
    }
  }

  #lost(): void {
    this.#epoch += 1;
    this.#set(false);
  }

  /** A ping unanswered in time: the connection may be dead without having noticed it. */
  async #ping(): Promise<void> {
    if (!this.#healthy || this.#pinging || this.#closed) return;
    this.#pinging = true;
    const epoch = this.#epoch;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answered = await Promise.race([
        this.#connection.ping().then(() => true, () => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.#timeoutMs))),
      ]);
      if (!answered && epoch === this.#epoch && !this.#closed) {
        this.#lost();
        this.#connection.disconnect(true);
      }
    } finally {
      clearTimeout(timer);
      this.#pinging = false;
    }
  }

  #set(healthy: boolean): void {
    if (this.#healthy === healthy) return;
    this.#healthy = healthy;
    try {
      this.#handlers.health(healthy);
    } catch {
      // The listener's failure is its own.
    }
  }
}
