import { pino } from 'pino';
import type { AuditEventsRepository } from '../../src/audit/audit-events.repository.js';
import { AuditTrailService } from '../../src/audit/audit-trail.service.js';
import { SecurityEventsService } from '../../src/audit/security-events.service.js';
import { SecurityWebhook } from '../../src/audit/security-webhook.js';
import type { OutboxMessagesRepository } from '../../src/outbox/outbox-messages.repository.js';
import { OutboxService } from '../../src/outbox/outbox.service.js';
import { randomUUID } from 'node:crypto';
import type { OAuthClient } from '../../src/clients/entities/oauth-client.entity.js';
import type {
  OAuthClientsService,
  PresentedClient,
} from '../../src/clients/oauth-clients.service.js';
import type { Clock } from '../../src/common/clock.js';
import type { Principal } from '../../src/common/principal.js';
import type { Config, JwtAlgorithm } from '../../src/config/config.js';
import { TooManyAttemptsException } from '../../src/rate-limit/login-attempts.service.js';
import { StoreUnavailableError } from '../../src/redis/key-value-store.js';
import type { SsoSessionsService } from '../../src/sso/sso-sessions.service.js';
import { AccessTokensService } from '../../src/tokens/access-tokens.service.js';
import { IdTokensService } from '../../src/tokens/id-tokens.service.js';
import type { BlocklistService, RevocationSubject } from '../../src/tokens/blocklist.service.js';
import { RefreshSession } from '../../src/tokens/entities/refresh-session.entity.js';
import type { RevokedAccessTokensRepository } from '../../src/tokens/revoked-access-tokens.repository.js';
import type { TokenCutoffsRepository } from '../../src/tokens/token-cutoffs.repository.js';
import type { LoadedKey } from '../../src/tokens/key-material.js';
import type {
  RefreshSessionsRepository,
  RevokeReason,
  RotatedSession,
} from '../../src/tokens/refresh-sessions.repository.js';
import { RefreshSessionsService } from '../../src/tokens/refresh-sessions.service.js';
import type { SigningKeysService } from '../../src/tokens/signing-keys.service.js';
import type { TokenRevocationService } from '../../src/tokens/token-revocation.service.js';
import { VerifiedTokenCache } from '../../src/tokens/verified-token-cache.js';
import type { User } from '../../src/users/entities/user.entity.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import {
  InvalidCredentialsError,
  PasswordAttempt,
  PasswordSignIn,
  PasswordSignInService,
} from '../../src/users/password-sign-in.service.js';
import { FakeClock } from './unit.js';

/**
 * Hand-written stand-ins for our own services and repositories, for unit
 * specs: each does in memory what the real one does, for the methods a spec
 * needs, and says so in its type. The e2e suite covers the real wiring.
 */

/**
 * An in-memory stand-in for `SigningKeysService`: the first key is active,
 * every key verifies, and an unknown kid is simply not found.
 */
export class FakeSigningKeys implements Pick<
  SigningKeysService,
  'activeKey' | 'verificationKey' | 'algorithm' | 'reloadForUnknownKid'
> {
  private readonly keys: Map<string, LoadedKey>;

  constructor(
    private readonly active: LoadedKey,
    ...others: LoadedKey[]
  ) {
    this.keys = new Map([active, ...others].map((key) => [key.kid, key]));
  }

  get algorithm(): JwtAlgorithm {
    return this.active.algorithm;
  }

  activeKey(): LoadedKey {
    return this.active;
  }

  verificationKey(kid: string): LoadedKey | undefined {
    return this.keys.get(kid);
  }

  reloads = 0;

  /** The database knows no more keys than this set. */
  async reloadForUnknownKid(): Promise<boolean> {
    this.reloads++;
    return false;
  }

  asService(): SigningKeysService {
    return this as unknown as SigningKeysService;
  }
}

/**
 * An in-memory stand-in for `BlocklistService.isRevoked`: token ids and
 * sessions revoked by the test, or a store that cannot answer.
 */
export class FakeBlocklist implements Pick<BlocklistService, 'isRevoked'> {
  readonly revoked = new Set<string>();
  unavailable = false;
  checks = 0;

  async isRevoked(token: RevocationSubject): Promise<boolean> {
    this.checks++;
    if (this.unavailable) throw new StoreUnavailableError('Redis is not connected');
    return this.revoked.has(token.tokenId) || this.revoked.has(token.sessionId ?? '');
  }

  asService(): BlocklistService {
    return this as unknown as BlocklistService;
  }
}

type Repository = Pick<
  RefreshSessionsRepository,
  | 'insert'
  | 'rotate'
  | 'findByTokenHash'
  | 'revokeSession'
  | 'revokeAllForUser'
  | 'findLiveByUser'
  | 'isSessionRevoked'
  | 'findSessionsRevokedSince'
>;

/** `RefreshSessionsRepository` in memory: the same rules as its SQL, one caller at a time. */
export class InMemoryRefreshSessions implements Repository {
  readonly rows: RefreshSession[] = [];
  /** The users a rotation reads the roles of (as the SQL joins `users`). */
  users: User[] = [];

  constructor(private readonly clock: Clock) {}

  async insert(values: Partial<RefreshSession>): Promise<RefreshSession> {
    const row = Object.assign(new RefreshSession(), {
      id: randomUUID(),
      lastUsedAt: new Date(this.clock.now()),
      spentAt: null,
      revokedAt: null,
      revokedReason: null,
      clientId: null,
      scope: null,
      ssoSessionId: null,
      ...values,
    });
    this.rows.push(row);
    return row;
  }

  async rotate(
    tokenHash: Buffer,
    nextTokenHash: Buffer,
    idleSeconds: number,
    origin: { userAgent: string | null; ip: string | null },
    clientId: string | null,
  ): Promise<RotatedSession | null> {
    const row = this.rows.find(
      (r) => r.tokenHash.equals(tokenHash) && this.live(r, idleSeconds) && r.clientId === clientId,
    );
    if (!row) return null;
    row.spentAt = new Date(this.clock.now());
    const { sessionId, userId, sessionStartedAt, expiresAt, scope, ssoSessionId } = row;
    const user = this.users.find((candidate) => candidate.id === userId && !candidate.disabled);
    const session = await this.insert({
      sessionId,
      userId,
      sessionStartedAt,
      expiresAt,
      clientId,
      scope,
      ssoSessionId,
      tokenHash: nextTokenHash,
      userAgent: origin.userAgent ?? row.userAgent,
      ip: origin.ip ?? row.ip,
    });
    return { session, activeRoles: user?.roles ?? null };
  }

  async findByTokenHash(tokenHash: Buffer): Promise<RefreshSession | null> {
    return this.rows.find((row) => row.tokenHash.equals(tokenHash)) ?? null;
  }

  async revokeSession(sessionId: string, reason: RevokeReason, userId?: string): Promise<boolean> {
    const rows = this.rows.filter(
      (row) => row.sessionId === sessionId && !row.revokedAt && (!userId || row.userId === userId),
    );
    for (const row of rows) this.revoke(row, reason);
    return rows.length > 0;
  }

  async revokeAllForUser(
    userId: string,
    reason: RevokeReason,
    keepSessionId?: string,
  ): Promise<string[]> {
    const rows = this.rows.filter(
      (row) => row.userId === userId && !row.revokedAt && row.sessionId !== keepSessionId,
    );
    for (const row of rows) this.revoke(row, reason);
    return [...new Set(rows.map((row) => row.sessionId))];
  }

  async findLiveByUser(userId: string, idleSeconds: number): Promise<RefreshSession[]> {
    return this.rows
      .filter((row) => row.userId === userId && this.live(row, idleSeconds))
      .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime());
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    return this.rows.some((row) => row.sessionId === sessionId && row.revokedAt);
  }

  async findSessionsRevokedSince(since: Date): Promise<string[]> {
    const revoked = this.rows.filter((row) => row.revokedAt && row.revokedAt > since);
    return [...new Set(revoked.map((row) => row.sessionId))];
  }

  asRepository(): RefreshSessionsRepository {
    return this as unknown as RefreshSessionsRepository;
  }

  private live(row: RefreshSession, idleSeconds: number): boolean {
    const now = this.clock.now();
    return (
      !row.spentAt &&
      !row.revokedAt &&
      row.expiresAt.getTime() > now &&
      row.lastUsedAt.getTime() > now - idleSeconds * 1000
    );
  }

  private revoke(row: RefreshSession, reason: RevokeReason): void {
    row.revokedAt = new Date(this.clock.now());
    row.revokedReason = reason;
  }
}

/** `TokenRevocationService` over the in-memory sessions, remembering every revocation. */
export class RecordingRevocation implements Pick<
  TokenRevocationService,
  'revokeSession' | 'revokeForReuse' | 'revokeOtherSessions' | 'revokeUser' | 'revokeAccessToken'
> {
  readonly sessions: [sessionId: string, reason: RevokeReason][] = [];
  readonly users: [userId: string, reason: RevokeReason, endSessions: boolean][] = [];
  readonly accessTokens: string[] = [];

  constructor(private readonly store: InMemoryRefreshSessions) {}

  async revokeSession(sessionId: string, reason: RevokeReason, userId?: string): Promise<boolean> {
    this.sessions.push([sessionId, reason]);
    return this.store.revokeSession(sessionId, reason, userId);
  }

  async revokeForReuse(sessionId: string): Promise<boolean> {
    return this.revokeSession(sessionId, 'reuse');
  }

  async revokeOtherSessions(
    userId: string,
    reason: RevokeReason,
    keepSessionId?: string,
  ): Promise<number> {
    const revoked = await this.store.revokeAllForUser(userId, reason, keepSessionId);
    for (const sessionId of revoked) this.sessions.push([sessionId, reason]);
    return revoked.length;
  }

  async revokeUser(userId: string, reason: RevokeReason, endSessions: boolean): Promise<void> {
    this.users.push([userId, reason, endSessions]);
    if (endSessions) await this.revokeOtherSessions(userId, reason);
  }

  async revokeAccessToken(principal: Principal): Promise<void> {
    this.accessTokens.push(principal.tokenId);
  }

  asService(): TokenRevocationService {
    return this as unknown as TokenRevocationService;
  }
}

/** `PasswordSignInService.verify` that knows one password per user, and hands out device tokens. */
export class FakePasswordCheck implements Pick<PasswordSignInService, 'verify'> {
  readonly attempts: PasswordAttempt[] = [];
  /** Set: every check is refused with 429 for this many seconds, as a spent allowance is. */
  lockedForSeconds: number | undefined;

  constructor(private readonly accounts: { user: User; password: string }[]) {}

  async verify(attempt: PasswordAttempt): Promise<PasswordSignIn> {
    this.attempts.push(attempt);
    if (this.lockedForSeconds) throw new TooManyAttemptsException(this.lockedForSeconds);
    const account = this.accounts.find(
      ({ user }) => 'login' in attempt.account && user.username === attempt.account.login,
    );
    if (!account || account.password !== attempt.password) throw new InvalidCredentialsError();
    return { user: account.user, deviceToken: `device-of-${account.user.id}` };
  }

  asService(): PasswordSignInService {
    return this as unknown as PasswordSignInService;
  }
}

/** `OAuthClientsService.authenticate` over a list of clients and their secrets (`null`: public). */
export class FakeClients implements Pick<OAuthClientsService, 'authenticate' | 'namesOf'> {
  constructor(private readonly clients: { client: OAuthClient; secret: string | null }[] = []) {}

  async authenticate(presented: PresentedClient): Promise<OAuthClient | null> {
    const found = this.clients.find((entry) => entry.client.clientId === presented.clientId);
    if (!found || found.client.disabled) return null;
    const methodMatches = found.client.tokenEndpointAuthMethod === presented.method;
    return methodMatches && found.secret === presented.clientSecret ? found.client : null;
  }

  async namesOf(clientIds: string[]): Promise<Map<string, string>> {
    const known = this.clients.filter((entry) => clientIds.includes(entry.client.clientId));
    return new Map(known.map(({ client }) => [client.clientId, client.name]));
  }

  asService(): OAuthClientsService {
    return this as unknown as OAuthClientsService;
  }
}

/** The entries of `rows` whose date is after `since`. */
const after = (rows: Map<string, Date>, since: Date) =>
  [...rows].filter(([, date]) => date > since);

/**
 * The durable revocations in memory, as the two repositories that keep them
 * see them: a "not before" per user (`TokenCutoffsRepository`) and revoked
 * token ids until their expiry (`RevokedAccessTokensRepository`).
 */
export class InMemoryRevocationRows {
  readonly cutoffs = new Map<string, Date>();
  readonly tokens = new Map<string, Date>();
  /** How often the cutoffs were read in bulk, as a rebuild does. */
  rebuildReads = 0;

  cutoffsRepository(): TokenCutoffsRepository {
    const fake: Pick<TokenCutoffsRepository, 'upsert' | 'findNotBefore' | 'findSince'> = {
      upsert: async (userId, notBefore) => void this.cutoffs.set(userId, notBefore),
      findNotBefore: async (userId) => this.cutoffs.get(userId) ?? null,
      findSince: async (since) => {
        this.rebuildReads++;
        return after(this.cutoffs, since).map(([userId, notBefore]) => ({ userId, notBefore }));
      },
    };
    return fake as TokenCutoffsRepository;
  }

  tokensRepository(): RevokedAccessTokensRepository {
    const fake: Pick<RevokedAccessTokensRepository, 'insert' | 'isRevoked' | 'findExpiringAfter'> =
      {
        insert: async (jti, expiresAt) => void this.tokens.set(jti, expiresAt),
        isRevoked: async (jti) => this.tokens.has(jti),
        findExpiringAfter: async (since) =>
          after(this.tokens, since).map(([jti, expiresAt]) => ({ jti, expiresAt })),
      };
    return fake as RevokedAccessTokensRepository;
  }
}

/**
 * The token services a unit spec of a caller needs: the real
 * `AccessTokensService` and `RefreshSessionsService`, over in-memory keys,
 * blocklist and sessions, and a revocation service that records.
 */
export function tokenServices(config: Config, key: LoadedKey, clock = new FakeClock()) {
  const rows = new InMemoryRefreshSessions(clock);
  const blocklist = new FakeBlocklist();
  const accessTokens = new AccessTokensService(
    new FakeSigningKeys(key).asService(),
    new VerifiedTokenCache(clock),
    blocklist.asService(),
    clock,
    config,
  );
  return {
    clock,
    rows,
    blocklist,
    accessTokens,
    refreshSessions: new RefreshSessionsService(rows.asRepository(), clock, config),
    revocation: new RecordingRevocation(rows),
  };
}

/** `AuditEventsRepository.append` into a list: the audit rows a unit spec's events made. */
export class InMemoryAuditEvents implements Pick<AuditEventsRepository, 'append'> {
  readonly rows: Parameters<AuditEventsRepository['append']>[0][] = [];

  async append(row: Parameters<AuditEventsRepository['append']>[0]): Promise<void> {
    this.rows.push(row);
  }

  asRepository(): AuditEventsRepository {
    return this as unknown as AuditEventsRepository;
  }
}

/**
 * The real `SecurityEventsService`, writing to a logger that prints nothing,
 * to audit rows in memory, and with no webhook configured (nothing reaches the
 * outbox, which has no table here).
 */
export function silentSecurityEvents(config: Config): SecurityEventsService {
  const clock = new FakeClock();
  const unusedOutbox = new OutboxService({} as OutboxMessagesRepository, clock);
  const webhookOff = { ...config, securityWebhook: { ...config.securityWebhook, url: undefined } };
  return new SecurityEventsService(
    pino({ level: 'silent' }),
    new AuditTrailService(clock, new InMemoryAuditEvents().asRepository()),
    new SecurityWebhook(webhookOff, unusedOutbox, clock),
  );
}

/** `SsoSessionsService.endAllForUser`, recording whose browser sign-ins ended. */
export class RecordingSsoSessions implements Pick<SsoSessionsService, 'endAllForUser'> {
  readonly endedForUsers: string[] = [];

  async endAllForUser(userId: string): Promise<void> {
    this.endedForUsers.push(userId);
  }

  asService(): SsoSessionsService {
    return this as unknown as SsoSessionsService;
  }
}

/** `tokenServices`, and the `AuthService` of `users` over them. */
export function authServices(config: Config, key: LoadedKey, users: User[]) {
  const tokens = tokenServices(config, key);
  tokens.rows.users = users;
  const ssoSessions = new RecordingSsoSessions();
  const auth = new AuthService(
    tokens.accessTokens,
    tokens.refreshSessions,
    tokens.revocation.asService(),
    new IdTokensService(new FakeSigningKeys(key).asService(), tokens.clock, config),
    new FakeClients().asService(),
    ssoSessions.asService(),
    new MetricsService(),
    silentSecurityEvents(config),
  );
  return { ...tokens, auth, ssoSessions };
}

export type AuthServices = ReturnType<typeof authServices>;
