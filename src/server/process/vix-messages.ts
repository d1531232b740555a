import type { TickBatchAnswer, VixView } from '../vix/vix-source.js';

/**
 * A worker asks the primary to ingest a batch (`POST /v1/ticks` landed on the worker).
 * A big batch comes in several messages of the same id, all but the last with
 * `more: true`, so that neither side serializes it in one go; a part is either `ticks`
 * or `ticksText`, the JSON text of an array of ticks as the client sent it, or
 * `ticksBytes`, the UTF-8 bytes of a slice of the body with the delimiter on either side,
 * read as the array's brackets (over the service's structured-clone channel).
 * The worker only scanned such text (see `parseTicksBody`'s `checkSlices`): the primary
 * parses and checks every part before ingesting any, and the last part's `count` (the
 * ticks the worker counted) must be what it parsed; a batch that fails is answered
 * `invalid`, a 400 for the worker's client.
 */
export const VIX_TICKS_REQUEST = 'vix-ttl:vix-ticks-req';
/** The primary's answer to {@link VIX_TICKS_REQUEST}, with the same id. */
export const VIX_TICKS_RESPONSE = 'vix-ttl:vix-ticks-res';
/** The primary's sample of its engine, sent to every worker about once a second and soon after a transition. */
export const VIX_VIEW = 'vix-ttl:vix-view';

/** Why the primary refused a batch whose text it parsed: the 400 the worker answers. */
export interface InvalidTicks {
  error: 'invalid_json' | 'invalid_body';
  field: string | null;
  message: string;
}

/** IPC messages between a cluster worker and the primary about the VIX engine. */
export type VixMessage =
  | { type: typeof VIX_TICKS_REQUEST; id: number; ticks?: unknown[]; ticksText?: string; ticksBytes?: Uint8Array; more?: boolean; count?: number }
  | { type: typeof VIX_TICKS_RESPONSE; id: number; answer?: TickBatchAnswer; error?: string; busy?: boolean; invalid?: InvalidTicks }
  | { type: typeof VIX_VIEW; view: VixView };

/** Whether an IPC message is one of ours, of the given type. */
export function isVixMessage<T extends VixMessage['type']>(message: unknown, type: T): message is Extract<VixMessage, { type: T }> {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
