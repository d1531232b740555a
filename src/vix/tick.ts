/**
 * One odds update as a feed sends it: a market's decimal price at an instant,
 * optionally tagged with the scope (a league, a match id…) it belongs to.
 */
export interface Tick {
  /** The market's identifier (for example `psg-om:1x2:home`); 1–200 characters. */
  market: string;
  /** Decimal odds, a finite number > 1 (implied probability `1 / price`). */
  price: number;
  /** When the price was quoted: ms since the Unix epoch, or an ISO-8601 string with a time zone. */
  ts: number | string;
  /** The scope the market belongs to (`[A-Za-z0-9:_.-]{1,64}`); every tick also feeds `global`. */
  scope?: string | null;
}

/**
 * What happens to a bad tick. `reject`: the tick is invalid (a feed bug worth a
 * warning). `ignore`: the tick is valid but redundant or late, which feeds do
 * routinely (redelivery, reordering); it is dropped quietly. Either way it changes
 * no state and is counted under its reason.
 */
export type RejectRule = 'reject' | 'ignore';

/** Every reason a tick is not used, with its {@link RejectRule}; the one list of reject reasons. */
export const REJECT_RULES = Object.freeze({
  malformed: 'reject',
  missing_field: 'reject',
  bad_market: 'reject',
  bad_price: 'reject',
  bad_ts: 'reject',
  future_ts: 'reject',
  stale_ts: 'reject',
  bad_scope: 'reject',
  out_of_order: 'ignore',
  duplicate: 'ignore',
  too_many_scopes: 'reject',
} as const satisfies Record<string, RejectRule>);

/** Why a tick was not used: a key of {@link REJECT_RULES}. */
export type RejectReason = keyof typeof REJECT_RULES;

/** Every reject reason, in the order of {@link REJECT_RULES}. */
export const REJECT_REASONS = Object.freeze(Object.keys(REJECT_RULES) as RejectReason[]);

/** What {@link VixEngine.ingest} did with one tick. */
export type IngestResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: RejectReason; readonly rule: RejectRule };

/** The shared answer for an accepted tick (no allocation per tick). */
export const ACCEPTED: IngestResult = Object.freeze({ accepted: true });

/** The shared answer for each reject reason. */
export const REJECTED: Readonly<Record<RejectReason, IngestResult>> = Object.freeze(
  Object.fromEntries(REJECT_REASONS.map((reason) => [reason, Object.freeze({ accepted: false, reason, rule: REJECT_RULES[reason] })])) as Record<RejectReason, IngestResult>,
);

/** What {@link VixEngine.ingestBatch} did with a batch. */
export interface BatchResult {
  accepted: number;
  rejected: number;
  /** One result per tick, in the batch's order. */
  results: IngestResult[];
  /** Only the ticks not used, with their position in the batch: what an HTTP answer lists. */
  rejections: Array<{ index: number; reason: RejectReason; rule: RejectRule }>;
}
