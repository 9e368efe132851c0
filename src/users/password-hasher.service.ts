import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import { MetricsService } from '../metrics/metrics.service.js';

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
export const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};
const CURRENT_PARAMS = `$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},t=${ARGON2_OPTIONS.timeCost},p=${ARGON2_OPTIONS.parallelism}$`;
const BCRYPT = /^\$2[aby]\$\d{2}\$/;

export interface VerifyResult {
  valid: boolean;
  /** The hash is bcrypt or older Argon2 parameters: store a fresh one now that the password is known. */
  needsRehash: boolean;
}

@Injectable()
export class PasswordHasher {
  /**
   * Verified against when the user does not exist, so that an unknown
   * username costs the same time as a wrong password.
   */
  private readonly dummyHash: Promise<string> = hash('dummy password for timing', ARGON2_OPTIONS);
  /** Computations started and not finished: what `password_hashes_*` report. */
  private inProgress = 0;

  constructor(metrics: MetricsService) {
    metrics.probe('passwordHashesInProgress', () => this.inProgress);
  }

  hash(password: string): Promise<string> {
    return this.counted(() => hash(password, ARGON2_OPTIONS));
  }

  verify(storedHash: string | null | undefined, password: string): Promise<VerifyResult> {
    return this.counted(() => this.check(storedHash, password));
  }

  private async counted<T>(work: () => Promise<T>): Promise<T> {
    this.inProgress++;
    try {
      return await work();
    } finally {
      this.inProgress--;
    }
  }

  private async check(
    storedHash: string | null | undefined,
    password: string,
  ): Promise<VerifyResult> {
    if (!storedHash) {
      await verify(await this.dummyHash, password).catch(() => false);
      return { valid: false, needsRehash: false };
    }
    if (BCRYPT.test(storedHash)) {
      const valid = await verifyBcrypt(password, storedHash).catch(() => false);
      return { valid, needsRehash: valid };
    }
    const valid = await verify(storedHash, password).catch(() => false);
    return { valid, needsRehash: valid && !storedHash.startsWith(CURRENT_PARAMS) };
  }
}
