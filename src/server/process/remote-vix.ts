import { EventEmitter, type Event } from '../../core/event.js';
import { PRIMARY_ANSWER_TIMEOUT_MS, sendToPrimary } from './ipc-send.js';
import { isVixMessage, VIX_TICKS_REQUEST, VIX_TICKS_RESPONSE, VIX_VIEW } from './vix-messages.js';
import { batchOf } from '../vix/tick-batch.js';
import { HttpError } from '../http/http-error.js';
import { VixBusyError, VixUnavailableError, type TickBatch, type TickBatchAnswer, type VixSource, type VixTransitionView, type VixView } from '../vix/vix-source.js';

/** The IPC channel to the primary; `process` in a cluster worker. */
export interface IpcChannel {
  send?: ((message: unknown, sendHandle?: undefined, options?: undefined, callback?: (error: Error | null) => void) => boolean) | undefined;
  readonly connected?: boolean | undefined;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** Options of {@link RemoteVix}. */
export interface RemoteVixOptions {
  /** Longest wait for the primary's answer to a batch, ms; past it `ingest` rejects (503). Default 5,000. */
  timeoutMs?: number | undefined;
  /** Default `process` (the worker's channel to the cluster primary). */
  channel?: IpcChannel | undefined;
  /** Ticks per IPC message; a bigger batch is sent in several, yielding to the event loop between them. Default 500. */
  chunkTicks?: number | undefined;
  /**
   * The channel's serialization: `'advanced'` (structured clone, what `serve --workers`
   * sets up) sends a batch that came as bytes as bytes, copied as they are; `'json'` (Node's
   * default) as text. Default `'json'`.
   */
  serialization?: 'json' | 'advanced' | undefined;
}

interface Pending {
  resolve: (answer: TickBatchAnswer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The VIX engine of a multi-worker service, seen from a worker: the engine runs
 * once, in the primary. Batches go to it over IPC (with a request id and a
 * timeout), and the primary's samples (about one a second, and soon after a
 * transition) come back for `/v1/state`, the event stream and the dashboard.
 */
export class RemoteVix implements VixSource {
  readonly location = 'primary';
  /** The primary parses and checks a batch's text whole before ingesting any of it: the route need only scan it. */
  readonly checksSlices = true;
  readonly #channel: IpcChannel;
  readonly #timeoutMs: number;
  readonly #chunkTicks: number;
  readonly #binary: boolean;
  readonly #pending = new Map<number, Pending>();
  readonly #transitions = new EventEmitter<VixTransitionView>();
  readonly #onMessage = (message: unknown) => this.#receive(message);
  #view: VixView | null = null;
  #lastSeq: number | null = null;
  #next = 0;
  #closed = false;

  /** Subscribes to the primary's status changes, as its samples bring them. */
  readonly onTransition: Event<VixTransitionView> = this.#transitions.event;

  /** The primary's answer to a batch is awaited this long (`timeoutMs`): the server counts it among its waits. */
  get longestWaitMs(): number {
    return this.#timeoutMs;
  }

  constructor(options: RemoteVixOptions = {}) {
    this.#channel = options.channel ?? (process as unknown as IpcChannel);
    this.#timeoutMs = options.timeoutMs ?? PRIMARY_ANSWER_TIMEOUT_MS;
    this.#chunkTicks = options.chunkTicks ?? 500;
    this.#binary = options.serialization === 'advanced';
    this.#channel.on('message', this.#onMessage);
  }

  ingest(ticks: readonly unknown[] | TickBatch): Promise<TickBatchAnswer> {
    return new Promise((resolve, reject) => {
      const channel = this.#channel;
      if (this.#closed || !channel.send || channel.connected === false) {
        reject(new VixUnavailableError('the VIX engine runs in the cluster primary, and this worker has no connection to it'));
        return;
      }
      const id = (this.#next = (this.#next + 1) % Number.MAX_SAFE_INTEGER);
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new VixUnavailableError(`the cluster primary did not answer within ${this.#timeoutMs} ms; the ticks may not have been ingested`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      void this.#send(channel, id, ticks).catch((error: unknown) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new VixUnavailableError(`could not send the ticks to the cluster primary: ${(error as Error).message}`));
      });
    });
  }

  /** Sends a batch a slice (`chunkTicks` of an array) per message, yielding between them; stops if the batch timed out meanwhile. */
  async #send(channel: IpcChannel, id: number, ticks: readonly unknown[] | TickBatch): Promise<void> {
    const batch = Array.isArray(ticks) ? batchOf(ticks as readonly unknown[], this.#chunkTicks) : (ticks as TickBatch);
    // The body as received when there is one (bytes over a structured-clone channel, else
    // text): the primary parses it, this worker does not serialize ticks.
    const source = this.#binary && batch.bytes ? batch.bytes() : batch.texts ? batch.texts() : batch.slices();
    const parts: Iterator<readonly unknown[] | string | Uint8Array> = source[Symbol.iterator]();
    // The last part says how many ticks the batch holds: the primary checks its parse against it.
    const message = (part: readonly unknown[] | string | Uint8Array, more: boolean) => {
      const count = more ? undefined : batch.count;
      return typeof part === 'string'
        ? { type: VIX_TICKS_REQUEST, id, ticksText: part, more, count }
        : part instanceof Uint8Array
          ? { type: VIX_TICKS_REQUEST, id, ticksBytes: part, more, count }
          : { type: VIX_TICKS_REQUEST, id, ticks: part, more, count };
    };
    // A send that fails (the primary is gone) rejects the batch at once instead of waiting for the timeout.
    const post = (part: unknown) => sendToPrimary(part, (error) => this.#fail(id, error), channel);
    let current = parts.next();
    if (current.done) {
      post({ type: VIX_TICKS_REQUEST, id, ticks: [], more: false });
      return;
    }
    for (;;) {
      const next = parts.next();
      post(message(current.value, !next.done));
      if (next.done) return;
      current = next;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.#pending.has(id)) return;
    }
  }

  view(): VixView | null {
    return this.#view;
  }

  #fail(id: number, error: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(new VixUnavailableError(`could not send the ticks to the cluster primary: ${error.message}`));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.off('message', this.#onMessage);
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new VixUnavailableError('the service is shutting down'));
      this.#pending.delete(id);
    }
    this.#transitions.clear();
  }

  #receive(message: unknown): void {
    if (isVixMessage(message, VIX_TICKS_RESPONSE)) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.answer) pending.resolve(message.answer);
      else if (message.invalid && (message.invalid.error === 'invalid_json' || message.invalid.error === 'invalid_body')) {
        pending.reject(new HttpError(message.invalid.error, message.invalid.field ?? null, String(message.invalid.message)));
      } else if (message.busy === true) pending.reject(new VixBusyError(`the cluster primary is busy: ${message.error ?? 'too many tick batches queued'}`));
      else pending.reject(new VixUnavailableError(`the cluster primary could not ingest the ticks: ${message.error ?? 'no answer'}`));
      return;
    }
    if (isVixMessage(message, VIX_VIEW)) this.#update(message.view);
  }

  /** Keeps the sample; transitions newer than the last seen are passed on (the first sample only sets the mark). */
  #update(view: VixView): void {
    this.#view = view;
    const newest = view.recent.at(-1)?.seq ?? 0;
    const last = this.#lastSeq;
    this.#lastSeq = Math.max(last ?? 0, newest);
    if (last === null) return;
    for (const transition of view.recent) if (transition.seq > last) this.#transitions.emit(transition);
  }
}
