import { BadRequestException } from '@nestjs/common';

export const INVALID_LINK =
  'This link is invalid, has expired or was already used. Request a new one and use the latest mail.';

/** Unknown, forged, spent, voided or expired: one answer for all, so the cases cannot be told apart. */
export class InvalidAccountTokenError extends BadRequestException {
  constructor() {
    super(INVALID_LINK);
  }
}
