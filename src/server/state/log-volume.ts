import { Counter, type Registry } from 'prom-client';

/** pino's numeric levels by name; any other level counts as `other`. */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'other'] as const;
const OTHER_LEVEL = LEVELS.length - 1;

/** The event name of a line: its message's leading UPPER_SNAKE word (`VIX_TTL_STATE_CHANGE`, `VIX_STALE_PANIC_REMOVED: …`). */
const EVENT_NAME = /^[A-Z][A-Z0-9_]{2,63}(?![A-Za-z0-9_])/;

/** The event label of lines whose message is not an event name (free text, none), and of event names past {@link MAX_EVENTS}. */
export const OTHER_EVENT = 'other';

/** Most distinct event names counted; later ones count as {@link OTHER_EVENT}. */
export const MAX_EVENTS = 64;

/** Most distinct messages remembered for their counter (a message with variable text is parsed again each time past it). */
const MAX_MESSAGES = 512;
/** Longest message remembered (a longer one, say with an error's text in it, is parsed each time, never kept). */
const MAX_REMEMBERED_LENGTH = 200;

type LevelCounts = number[];

/** The `hooks` option of pino that counts each line before it is written. */
export interface LogVolumeHooks {
  logMethod(this: unknown, args: unknown[], method: (...args: unknown[]) => unknown, level: number): void;
}

/**
 * Counts the lines a pino logger writes, by level and event name — to show log on
 * change at work (lines per decision). It counts at the logger: build the logger
 * with `pino({ hooks: volume.hooks })`; pino calls the hook only for enabled
 * levels, so a line counted is a line written. Per line: one map lookup and an
 * increment (the message's event name is worked out once per distinct message).
 * Label sets are bounded: 7 levels × at most {@link MAX_EVENTS} names + `other`.
 */
export class LogVolume {
  readonly #byEvent = new Map<string, LevelCounts>();
  readonly #byMessage = new Map<string, LevelCounts>();

  /** pino's `hooks` option. */
  readonly hooks: LogVolumeHooks = {
    logMethod: ((volume: LogVolume) =>
      function logMethod(this: unknown, args: unknown[], method: (...args: unknown[]) => unknown, level: number): void {
        volume.count(level, typeof args[0] === 'string' ? args[0] : args[1]);
        method.apply(this, args);
      })(this),
  };

  /** Counts one line of pino level `level` whose message is `message`. */
  count(level: number, message: unknown): void {
    const counts = typeof message === 'string' ? (this.#byMessage.get(message) ?? this.#remember(message)) : this.#countsOf(OTHER_EVENT);
    const index = level >= 10 && level <= 60 && level % 10 === 0 ? level / 10 - 1 : OTHER_LEVEL;
    counts[index]! += 1;
  }

  /** Lines counted so far, by event and level (levels with none left out). */
  snapshot(): Array<{ event: string; level: string; lines: number }> {
    const rows: Array<{ event: string; level: string; lines: number }> = [];
    for (const [event, counts] of this.#byEvent) {
      counts.forEach((lines, index) => {
        if (lines > 0) rows.push({ event, level: LEVELS[index]!, lines });
      });
    }
    return rows;
  }

  /** Registers `vix_ttl_log_lines_total{event,level}` on `registry`, read from the counts at each scrape. */
  register(registry: Registry): void {
    if (registry.getSingleMetric('vix_ttl_log_lines_total')) return;
    const snapshot = () => this.snapshot();
    const lines: Counter<'event' | 'level'> = new Counter({
      name: 'vix_ttl_log_lines_total',
      help: 'Log lines written, by event name (the message\'s leading UPPER_SNAKE word, else "other") and level: with vix_ttl_decisions_total, log on change at work.',
      labelNames: ['event', 'level'],
      registers: [registry],
      collect() {
        lines.reset();
        for (const { event, level, lines: count } of snapshot()) lines.inc({ event, level }, count);
      },
    });
  }

  #remember(message: string): LevelCounts {
    const counts = this.#countsOf(EVENT_NAME.exec(message)?.[0] ?? OTHER_EVENT);
    if (this.#byMessage.size < MAX_MESSAGES && message.length <= MAX_REMEMBERED_LENGTH) this.#byMessage.set(message, counts);
    return counts;
  }

  #countsOf(event: string): LevelCounts {
    let counts = this.#byEvent.get(event);
    if (counts !== undefined) return counts;
    if (event !== OTHER_EVENT && this.#byEvent.size >= MAX_EVENTS) return this.#countsOf(OTHER_EVENT);
    counts = new Array<number>(LEVELS.length).fill(0);
    this.#byEvent.set(event, counts);
    return counts;
  }
}
