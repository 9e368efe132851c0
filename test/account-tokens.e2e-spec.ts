import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { AccountTokensService } from '../src/account/account-tokens.service.js';
import { newUser, register } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/** The rules of the tokens that mails carry, on the real database (both backends). */
describe(AccountTokensService.name, () => {
  const t = useTestApp();
  const sut = () => t.app.get(AccountTokensService);
  const manager = () => t.app.get(DataSource).manager;
  const someUser = async () => (await register(t.http, newUser())).id;

  it('issues a 256-bit base64url token that is spent once, for its own purpose only', async () => {
    const userId = await someUser();
    const raw = await sut().issue(userId, 'verify_email', 3600, manager());

    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sut().consume(raw, 'change_email', manager())).toBeNull();
    const spent = await sut().consume(raw, 'verify_email', manager());
    expect(spent).toMatchObject({ userId, purpose: 'verify_email', email: null });
    expect(await sut().consume(raw, 'verify_email', manager())).toBeNull();
  });

  it('lets exactly one of many concurrent uses through', async () => {
    const raw = await sut().issue(await someUser(), 'reset_password', 3600, manager());

    const results = await Promise.all(
      Array.from({ length: 8 }, () => sut().consume(raw, 'reset_password', manager())),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a token from the second it expires, on the app clock', async () => {
    const userId = await someUser();
    const early = await sut().issue(userId, 'verify_email', 60, manager());
    const late = await sut().issue(userId, 'change_email', 60, manager(), 'new@example.com');
    t.clock().advance(59);
    expect(await sut().consume(early, 'verify_email', manager())).not.toBeNull();

    t.clock().advance(1);

    expect(await sut().consume(late, 'change_email', manager())).toBeNull();
    t.clock().reset();
  });

  it('voids the older unused tokens of the same purpose and user, and no others', async () => {
    const userId = await someUser();
    const other = await someUser();
    const older = await sut().issue(userId, 'verify_email', 3600, manager());
    const change = await sut().issue(userId, 'change_email', 3600, manager(), 'x@example.com');
    const othersOwn = await sut().issue(other, 'verify_email', 3600, manager());

    const newer = await sut().issue(userId, 'verify_email', 3600, manager());

    expect(await sut().consume(older, 'verify_email', manager())).toBeNull();
    expect(await sut().consume(newer, 'verify_email', manager())).not.toBeNull();
    expect(await sut().consume(change, 'change_email', manager())).toMatchObject({
      email: 'x@example.com',
    });
    expect(await sut().consume(othersOwn, 'verify_email', manager())).not.toBeNull();
  });

  it('stores only the SHA-256 of a token, and refuses malformed or forged ones unread', async () => {
    const userId = await someUser();
    const raw = await sut().issue(userId, 'verify_email', 3600, manager());

    const rows = await t.sql<{ token_hash: Buffer }>(
      `SELECT token_hash FROM account_tokens WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash.equals(createHash('sha256').update(raw).digest())).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(raw);
    for (const forged of ['', 'x', `${raw}x`, raw.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      expect(await sut().consume(forged, 'verify_email', manager())).toBeNull();
    }
  });
});
