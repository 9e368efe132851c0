import { TypedProblemException } from '../common/errors.js';

export const INVALID_LINK =
  'This link is invalid, has expired or was already used. Request a new one and use the latest mail.';

/** Unknown, forged, spent, voided or expired: one answer for all, so the cases cannot be told apart. */
export class InvalidAccountTokenError extends TypedProblemException {
  constructor() {
    super('invalid_account_token', INVALID_LINK, 400);
  }
}
