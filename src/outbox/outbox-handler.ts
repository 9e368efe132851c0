/**
 * Delivers the messages of one kind. `deliver` resolves when the recipient
 * has the message and throws when it must be tried again later; it must
 * finish (or time out) well within the worker's lease (`OUTBOX_LEASE_MS`).
 * A message may be delivered more than once if an instance dies between
 * delivering and recording it: give recipients an id to de-duplicate on.
 */
export interface OutboxHandler {
  readonly kind: string;
  /** When true, a delivered message's payload is emptied at once (it held something not to keep). */
  readonly scrubDelivered?: boolean;
  deliver(payload: Record<string, unknown>): Promise<void>;
}

/**
 * Thrown by a handler when no retry can help (the recipient's server says
 * the address does not exist): the worker gives the message up, deletes it
 * and logs `outbox.undeliverable`, instead of retrying it forever.
 */
export class UndeliverableError extends Error {
  override readonly name = 'UndeliverableError';
}
