import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { CLOCK_SKEW_SECONDS } from '../common/clock.js';
import type { Config, JwtAlgorithm } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';
import { generateKeyMaterial, hmacKid, LoadedKey, loadKey } from './key-material.js';
import { KeySealer } from './key-sealer.js';
import { SigningKeysRepository } from './signing-keys.repository.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { MetricsService } from '../metrics/metrics.service.js';

export class KeyRotationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRotationRefusedError';
  }
}

/** A signing key without its material: what `keys:list` shows. */
export type SigningKeySummary = Pick<
  SigningKey,
  'kid' | 'algorithm' | 'createdAt' | 'retiredAt' | 'expiresAt'
>;

/** How often every instance re-reads the key set, so a rotation anywhere is seen everywhere. */
export const KEY_REFRESH_INTERVAL_MS = 5_000;

/**
 * Signing keys live in the database, private parts sealed at rest. Each
 * instance keeps the unexpired ones in memory as `KeyObject`s: signing uses
 * the active key, verification looks a kid up in our own set only.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly sealer: KeySealer;
  private keys = new Map<string, LoadedKey>();
  private active: LoadedKey;
  /** When the active key was created (ms): `signing_key_age_seconds`. */
  private activeCreatedAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastUnknownKidReload = 0;
  private pendingReload: Promise<boolean> | null = null;

  constructor(
    private readonly repository: SigningKeysRepository,
    private readonly verifiedTokens: VerifiedTokenCache,
    @InjectConfig() private readonly config: Config,
    @Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string,
    private readonly events: SecurityEventsService,
    metrics: MetricsService,
  ) {
    this.sealer = new KeySealer(keyEncryptionSecret);
    metrics.probe('signingKeyCreatedAt', () => this.activeCreatedAt);
  }

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey();
    await this.reload();
    if (!this.config.backgroundJobs) return;
    this.timer = setInterval(
      () => void this.reload().catch(() => undefined),
      KEY_REFRESH_INTERVAL_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  get algorithm(): JwtAlgorithm {
    return this.config.auth.algorithm;
  }

  activeKey(): LoadedKey {
    return this.active;
  }

  /** Our own key for this kid, or undefined: a token never chooses its key. */
  verificationKey(kid: string): LoadedKey | undefined {
    return this.keys.get(kid);
  }

  /**
   * A kid we do not know may be a key another instance has just made: read
   * the key set again before refusing. Concurrent callers share one reload,
   * and made-up kids cannot cause more than one a second. Returns whether it reloaded.
   */
  async reloadForUnknownKid(): Promise<boolean> {
    if (this.pendingReload) return this.pendingReload;
    if (Date.now() - this.lastUnknownKidReload < 1_000) return false;
    this.lastUnknownKidReload = Date.now();
    this.pendingReload = this.reload()
      .then(() => true)
      .catch(() => false)
      .finally(() => {
        this.pendingReload = null;
      });
    return this.pendingReload;
  }

  /** Public parts of every key that may still verify a live token (RFC 7517). */
  jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: [...this.keys.values()].flatMap((key) => (key.publicJwk ? [key.publicJwk] : [])),
    };
  }

  /** The keys that may still verify a token, newest first, as an operator sees them: never their material. */
  async list(): Promise<SigningKeySummary[]> {
    const rows = await this.repository.findUnexpired();
    return rows.map((row) => ({
      kid: row.kid,
      algorithm: row.algorithm,
      createdAt: row.createdAt,
      retiredAt: row.retiredAt,
      expiresAt: row.expiresAt,
    }));
  }

  /** Makes a new key active everywhere; the old one keeps verifying until its tokens expire. */
  async rotate(): Promise<string> {
    if (this.algorithm === 'HS256' && this.config.auth.hmacSecret) {
      // Verifiers hold JWT_SECRET; a random new secret would lock them out.
      throw new KeyRotationRefusedError(
        'HS256 with a configured JWT_SECRET rotates by changing JWT_SECRET',
      );
    }
    const key = await this.repository.replaceActive(
      () => false,
      () => this.newKey(false),
      this.retiredKeyExpiry(),
    );
    await this.repository.deleteExpired();
    await this.reload();
    await this.events.record({
      action: 'key.rotated',
      outcome: 'success',
      subject: { type: 'key', id: key.kid },
      details: { algorithm: key.algorithm },
    });
    return key.kid;
  }

  async reload(): Promise<void> {
    try {
      const rows = await this.repository.findUnexpired();
      const keys = new Map<string, LoadedKey>();
      for (const row of rows) {
        const existing = this.keys.get(row.kid);
        keys.set(
          row.kid,
          existing && existing.retired === !!row.retiredAt ? existing : this.open(row),
        );
      }
      const active = rows.find((row) => !row.retiredAt && row.algorithm === this.algorithm);
      if (active) {
        this.active = keys.get(active.kid)!;
        this.activeCreatedAt = active.createdAt.getTime();
      }
      const changed =
        keys.size !== this.keys.size || [...keys.keys()].some((kid) => !this.keys.has(kid));
      this.keys = keys;
      // A key that left the set must not keep verifying through the cache.
      if (changed) this.verifiedTokens.clear();
    } catch (error) {
      // Keep serving with the keys we have; the next tick tries again.
      this.logger.warn(`could not reload signing keys: ${(error as Error).message}`);
      if (!this.active) throw error;
    }
  }

  private async ensureActiveKey(): Promise<void> {
    const configuredSecret = this.config.auth.hmacSecret;
    const wanted = (key: SigningKey) =>
      key.algorithm === this.algorithm &&
      (this.algorithm !== 'HS256' ||
        !configuredSecret ||
        key.kid === hmacKid(Buffer.from(configuredSecret)));
    let created = false;
    const key = await this.repository.replaceActive(
      wanted,
      () => {
        created = true;
        return this.newKey(true);
      },
      this.retiredKeyExpiry(),
    );
    this.open(key);
    // Never silent: an operator should know when a new signing key appeared.
    if (created)
      this.logger.warn(`no usable ${this.algorithm} signing key: created kid ${key.kid}`);
  }

  /** A new key of the configured algorithm, sealed. (Production HS256 always has JWT_SECRET: see the config.) */
  private newKey(useConfiguredSecret: boolean): SigningKey {
    const secret = useConfiguredSecret ? this.config.auth.hmacSecret : undefined;
    const material = generateKeyMaterial(this.algorithm, secret);
    const key = new SigningKey();
    key.kid = material.kid;
    key.algorithm = this.algorithm;
    key.publicJwk = material.publicJwk;
    key.privateKeySealed = this.sealer.seal(material.privateBytes, material.kid);
    key.retiredAt = null;
    key.expiresAt = null;
    return key;
  }

  private open(row: SigningKey): LoadedKey {
    let privateBytes: Buffer;
    try {
      privateBytes = this.sealer.open(row.privateKeySealed, row.kid);
    } catch {
      throw new Error(
        `signing key ${row.kid} cannot be unsealed: KEY_ENCRYPTION_SECRET differs from the one that sealed it`,
      );
    }
    return loadKey(
      row.kid,
      row.algorithm as JwtAlgorithm,
      privateBytes,
      row.publicJwk,
      !!row.retiredAt,
    );
  }

  private retiredKeyExpiry(): Date {
    return new Date(Date.now() + (this.config.auth.accessTokenTtl + CLOCK_SKEW_SECONDS) * 1000);
  }
}
