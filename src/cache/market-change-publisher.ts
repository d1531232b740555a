import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseOptions } from '../core/parse-options.js';
import { assertRedisClient, type RedisPubSubClient } from '../core/redis-script.js';
import { withTimeout } from '../core/with-timeout.js';
import { encodeMarketChange, MAX_BUS_ITEMS, MAX_BUS_MESSAGE_CHARS, MAX_MARKET_CHARS } from './bus-message.js';

/** Options of {@link MarketChangePublisher}. */
export interface MarketChangePublisherOptions {
  /** The channel caches subscribe to (`invalidateOn.marketChannel`). Default `vix-ttl:market-changes`. */
  channel?: string | undefined;
  /** Changes are gathered this long and sent together, each market once, ms. Default 100. */
  windowMs?: number | undefined;
  /** Most messages sent per second; markets wait (coalesced) for the next slot. Default 20. */
  maxMessagesPerSecond?: number | undefined;
  /** Most distinct markets waiting to be sent; past it a change is dropped and counted. Default 100,000. */
  maxPending?: number | undefined;
  /** Longest wait for one PUBLISH, ms. Default 1,000. */
  timeoutMs?: number | undefined;
}

const optionsSchema = z.strictObject({
  channel: z.string().regex(/^[A-Za-z0-9:_.{}-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 : _ . - { }').default('vix-ttl:market-changes'),
  windowMs: z.number().int().min(1).max(60_000).default(100),
  maxMessagesPerSecond: z.number().int().min(1).max(10_000).default(20),
  maxPending: z.number().int().min(1).max(10_000_000).default(100_000),
  timeoutMs: z.number().int().min(1).max(60_000).default(1_000),
});

/** Counters of a {@link MarketChangePublisher}. */
export interface MarketChangeStats {
  /** Price changes reported. */
  changes: number;
  /** Markets sent (a market changing several times in one window counts once). */
  marketsSent: number;
  messages: number;
  /** Changes dropped: the pending set was full (see `overflows`), or a market id unfit for a tag. */
  dropped: number;
  /** Changes that found the pending set full; each overflow is sent as one "every market changed" message (`allSent`), never lost. */
  overflows: number;
  allSent: number;
  /** PUBLISH calls that failed or timed out (their markets are sent again). */
  errors: number;
}

// eslint-disable-next-line no-control-regex
const UNFIT = /[\u0000-\u001f\u007f{}]/;

/**
 * The publishing half of change-aware invalidation: the service's tick ingestion
 * reports each market whose price moved, and this sends "these markets changed" on
 * the market channel, where every {@link AdaptiveCache} with
 * `invalidateOn.marketChanges` drops the entries tagged `market:<id>`. Bounded:
 * changes are coalesced per market over `windowMs`, at most `maxMessagesPerSecond`
 * messages go out (each under 64 KiB), and at most `maxPending` markets wait.
 */
export class MarketChangePublisher {
  /** The validated options, frozen. */
  readonly options: Readonly<z.output<typeof optionsSchema>>;
  readonly #redis: RedisPubSubClient;
  readonly #pending = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  readonly #stats: MarketChangeStats = { changes: 0, marketsSent: 0, messages: 0, dropped: 0, errors: 0, overflows: 0, allSent: 0 };
  #tokens: number;
  #refilledAt = performance.now();
  #sending: Promise<void> | null = null;
  /** The pending set overflowed: the next message says every market changed. */
  #overflowed = false;
  /** Most tokens held: one window's share of the rate, so no second ever carries more than the rate plus one window's share. */
  readonly #capacity: number;
  #closed = false;

  /** @throws InvalidConfigError for a client that is not ioredis or a bad option. */
  constructor(redis: RedisPubSubClient, options: MarketChangePublisherOptions = {}) {
    assertRedisClient(redis);
    this.#redis = redis;
    this.options = parseOptions(optionsSchema, options, 'MarketChangePublisher');
    const rate = this.options.maxMessagesPerSecond;
    this.#capacity = Math.max(1, Math.min(rate, (rate * this.options.windowMs) / 1000));
    this.#tokens = this.#capacity;
    this.#timer = setInterval(() => void this.flush(), this.options.windowMs);
    this.#timer.unref();
  }

  /** Reports that a market's price moved. Synchronous and O(1): it runs inside tick ingestion. */
  changed(market: string): void {
    this.#stats.changes += 1;
    if (this.#closed || this.#pending.has(market)) return;
    if (this.#pending.size >= this.options.maxPending) {
      this.#stats.dropped += 1;
      this.#stats.overflows += 1;
      this.#overflowed = true; // sent as "every market changed": the change is covered, not lost
      return;
    }
    if (typeof market !== 'string' || market.length === 0 || market.length > MAX_MARKET_CHARS || UNFIT.test(market)) {
      this.#stats.dropped += 1;
      return;
    }
    this.#pending.add(market);
  }

  /** Markets waiting to be sent. */
  get pending(): number {
    return this.#pending.size;
  }

  stats(): MarketChangeStats {
    return { ...this.#stats };
  }

  /** Sends what is pending now, as many messages as the rate allows. */
  flush(): Promise<void> {
    this.#sending ??= this.#send().finally(() => (this.#sending = null));
    return this.#sending;
  }

  /** Sends what is pending (once, whatever the rate) and stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.#sending;
    this.#tokens = Math.max(this.#tokens, 1);
    await this.#send();
    this.#closed = true;
    this.#pending.clear();
  }

  async #send(): Promise<void> {
    this.#refill();
    if (this.#overflowed && this.#tokens >= 1) {
      this.#tokens -= 1;
      try {
        await withTimeout(this.#redis.publish(this.options.channel, encodeMarketChange({ id: randomUUID().replaceAll('-', ''), markets: [], all: true })), this.options.timeoutMs);
        this.#overflowed = false;
        this.#pending.clear(); // covered by "every market changed"
        this.#stats.messages += 1;
        this.#stats.allSent += 1;
      } catch {
        this.#stats.errors += 1;
        return;
      }
    }
    while (this.#pending.size > 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      const markets = this.#take();
      try {
        await withTimeout(this.#redis.publish(this.options.channel, encodeMarketChange({ id: randomUUID().replaceAll('-', ''), markets })), this.options.timeoutMs);
        this.#stats.messages += 1;
        this.#stats.marketsSent += markets.length;
      } catch {
        this.#stats.errors += 1;
        for (const market of markets) {
          if (this.#pending.size < this.options.maxPending) this.#pending.add(market);
          else this.#overflowed = true;
        }
        return; // the next window tries again
      }
    }
  }

  /** Takes pending markets for one message: at most {@link MAX_BUS_ITEMS}, and under the message size bound. */
  #take(): string[] {
    const markets: string[] = [];
    let chars = 64;
    for (const market of this.#pending) {
      const cost = JSON.stringify(market).length + 1;
      if (markets.length >= MAX_BUS_ITEMS || chars + cost > MAX_BUS_MESSAGE_CHARS - 64) break;
      markets.push(market);
      chars += cost;
    }
    for (const market of markets) this.#pending.delete(market);
    return markets;
  }

  #refill(): void {
    const now = performance.now();
    const max = this.options.maxMessagesPerSecond;
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#refilledAt) / 1000) * max);
    this.#refilledAt = now;
  }
}
