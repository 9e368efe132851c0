import { describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { User } from '../src/users/entities/user.entity.js';
import { UsersRepository } from '../src/users/users.repository.js';
import { bearer, register, newUser, signUp } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/** The lean reads by primary key answer exactly what TypeORM's entity read answers. */
describe('users: the lean read path', () => {
  const t = useTestApp();
  const users = () => t.app.get(UsersRepository);

  it('findProfile reads every selectable column, typed as the entity read types them, and no password hash', async () => {
    const { id } = await register(t.http, newUser());
    await t.sql(`UPDATE users SET display_name = 'Ada L.', last_login_at = now() WHERE id = $1`, [
      id,
    ]);

    const lean = await users().findProfile(id);
    const entity = await users().findById(id);

    expect(lean).toEqual({ ...entity });
    expect(lean!.createdAt).toBeInstanceOf(Date);
    expect(lean!.roles).toEqual(['user']);
    expect(lean).not.toHaveProperty('passwordHash');
  });

  it('findProfile answers null for an unknown id', async () => {
    expect(await users().findProfile('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('findWithPassword reads what the entity read with its password hash reads, by username, email or id', async () => {
    const user = newUser();
    const { id } = await register(t.http, user);
    const entity = await t.app
      .get(DataSource)
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOne();

    for (const by of [{ login: user.username }, { login: user.email }, { id }]) {
      const lean = await users().findWithPassword(by);
      expect(lean).toEqual({ ...entity });
      expect(lean!.passwordHash).toMatch(/^\$argon2id\$/);
    }
    expect(await users().findWithPassword({ login: 'nobody-here' })).toBeNull();
  });

  it('recordLogin sets the last login and moves updated_at, and stores an upgraded hash when given', async () => {
    const { id } = await register(t.http, newUser());
    await t.sql(`UPDATE users SET updated_at = now() - interval '1 day' WHERE id = $1`, [id]);
    const before = (await users().findProfile(id))!;

    await users().recordLogin(id, '$argon2id$v=19$m=19456,t=2,p=1$upgraded');

    const after = (await users().findWithPassword({ id }))!;
    expect(after.lastLoginAt).toBeInstanceOf(Date);
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(after.passwordHash).toBe('$argon2id$v=19$m=19456,t=2,p=1$upgraded');
  });

  it('GET /users/me answers the profile from the lean read', async () => {
    const user = await signUp(t.http);

    const response = await t.http
      .get('/users/me')
      .set(bearer(user.tokens.access_token))
      .expect(200);

    const entity = await users().findById(user.id);
    expect(response.body).toEqual({
      id: entity!.id,
      email: entity!.email,
      username: entity!.username,
      emailVerified: false,
      emailVerifiedAt: null,
      displayName: null,
      roles: ['user'],
      disabled: false,
      createdAt: entity!.createdAt.toISOString(),
      updatedAt: entity!.updatedAt.toISOString(),
      lastLoginAt: entity!.lastLoginAt!.toISOString(),
    });
  });
});
