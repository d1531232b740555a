import { InvalidConfigError, InvalidInputError } from './errors.js';

/** A subscription: `dispose()` stops it (once; calling it again does nothing). */
export interface Disposable {
  dispose(): void;
}

/**
 * Subscribes `listener` to one kind of event and returns the {@link Disposable} that
 * unsubscribes it: the one way every vix-ttl component exposes its hooks
 * (`breaker.onDecision(listener)`, `cache.onCacheEvent(listener)`,
 * `engine.onTransition(listener)`…). A listener runs synchronously when the event
 * happens; one that throws, or returns a promise that rejects, changes nothing for
 * the component or for the other listeners.
 */
export type Event<T> = (listener: (event: T) => unknown) => Disposable;

/** A disposable that does nothing: the subscription of an absent `hooks` option. */
const NO_SUBSCRIPTION: Disposable = Object.freeze({ dispose: () => undefined });

interface Entry<T> {
  /** Null once disposed, so a listener disposed during an emission is not called by it. */
  listener: ((event: T) => unknown) | null;
}

/**
 * The emitting side of an {@link Event}: a component keeps the emitter private and
 * exposes its `event`. `emit` calls the listeners in subscription order, each
 * isolated from the others' failures. Subscribing and disposing replace the list
 * rather than change it, so an emission under way is never disturbed and the hot
 * path (`emit`, `size`) allocates nothing.
 */
export class EventEmitter<T> {
  #entries: ReadonlyArray<Entry<T>> = [];

  /** The subscribe function to expose (bound: it can be passed around alone). */
  readonly event: Event<T> = (listener) => this.#subscribe(listener);

  /** Listeners subscribed now; check it before building an event nobody listens to. */
  get size(): number {
    return this.#entries.length;
  }

  /** Calls every listener with `value`; never throws. */
  emit(value: T): void {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i += 1) {
      const listener = entries[i]!.listener;
      if (listener !== null) callIsolated(listener, value);
    }
  }

  /** Unsubscribes every listener (a component that closes). */
  clear(): void {
    for (const entry of this.#entries) entry.listener = null;
    this.#entries = [];
  }

  #subscribe(listener: (event: T) => unknown): Disposable {
    if (typeof listener !== 'function') throw new InvalidInputError('listener', 'must be a function', listener);
    const entry: Entry<T> = { listener };
    this.#entries = [...this.#entries, entry];
    return {
      dispose: () => {
        if (entry.listener === null) return;
        entry.listener = null;
        this.#entries = this.#entries.filter((e) => e !== entry);
      },
    };
  }
}

/**
 * The events a `hooks` option can subscribe to: for each hook of `H`, the
 * component's {@link Event} of the same name.
 */
export type HookEvents<H> = { [K in keyof H]-?: Event<HookPayload<H[K]>> };

type HookPayload<F> = F extends ((event: infer E) => unknown) | undefined ? E : never;

/**
 * Subscribes each function of a `hooks` option to the event of the same name
 * (`{ onDecision }` → `onDecision(listener)`), called with `this` the hooks object,
 * and returns one disposable for them all. The constructor option is a shorthand
 * for those subscriptions, so both ways share the one implementation.
 * @throws InvalidConfigError naming `<field>.<name>` for a function under a name that is not a hook (a typo) or a hook that is not a function; nothing is subscribed then.
 */
export function subscribeHooks<H extends object>(hooks: H | undefined, events: HookEvents<H>, field: string): Disposable {
  if (hooks === undefined) return NO_SUBSCRIPTION;
  const names = Object.keys(events) as Array<keyof H & string>;
  for (const [key, value] of Object.entries(hooks)) {
    // A function under another name is a typo that would never be called; other values are the object's own state.
    if (typeof value === 'function' && !Object.hasOwn(events, key)) throw new InvalidConfigError(`${field}.${key}`, `is not a hook; the hooks are ${names.join(', ')}`);
  }
  const chosen: Array<[keyof H & string, (event: unknown) => unknown]> = [];
  for (const name of names) {
    const hook = hooks[name] as unknown;
    if (hook === undefined) continue;
    if (typeof hook !== 'function') throw new InvalidConfigError(`${field}.${name}`, 'must be a function');
    chosen.push([name, hook as (event: unknown) => unknown]);
  }
  const subscriptions = chosen.map(([name, hook]) => (events[name] as Event<unknown>)((event) => hook.call(hooks, event)));
  return { dispose: () => subscriptions.forEach((subscription) => subscription.dispose()) };
}

function callIsolated<T>(listener: (event: T) => unknown, value: T): void {
  try {
    const result = listener(value);
    // An async listener that rejects must not become an unhandled rejection (which ends a Node process).
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, ignore);
    }
  } catch {
    // A listener's failure is its own: it never reaches the emitter or the other listeners.
  }
}

function ignore(): void {}
