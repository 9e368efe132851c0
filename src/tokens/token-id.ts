import { v7 as uuidv7 } from 'uuid';

/**
 * A new access-token id (`jti`): a UUIDv7, whose embedded time orders the
 * token against a user's revocation cutoff to the millisecond.
 */
export function newTokenId(): string {
  return uuidv7();
}

/** Milliseconds since the epoch, read from a UUIDv7 (RFC 9562 §5.7). */
export function tokenIdTime(tokenId: string): number {
  return parseInt(tokenId.slice(0, 8) + tokenId.slice(9, 13), 16);
}
