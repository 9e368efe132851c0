import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { SigningKey } from './entities/signing-key.entity.js';

// Serialises key creation and rotation across instances.
const KEY_LOCK = 7_240_502;

@Injectable()
export class SigningKeysRepository {
  constructor(@InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>) {}

  /** Every key that may still verify a live token, newest first. */
  findUnexpired(): Promise<SigningKey[]> {
    return this.keys
      .createQueryBuilder('key')
      .where('key.expires_at IS NULL OR key.expires_at > now()')
      .orderBy('key.created_at', 'DESC')
      .getMany();
  }

  /**
   * Under a cross-instance lock: returns the active key if `keep` accepts it;
   * otherwise retires it (still verifying until `retiredKeyExpiresAt`) and
   * stores the key `create` makes as the new active one.
   */
  replaceActive(
    keep: (active: SigningKey) => boolean,
    create: () => SigningKey,
    retiredKeyExpiresAt: Date,
  ): Promise<SigningKey> {
    return this.keys.manager.transaction(async (manager: EntityManager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      const active = await manager
        .createQueryBuilder(SigningKey, 'key')
        .where('key.retired_at IS NULL')
        .orderBy('key.created_at', 'DESC')
        .getOne();
      if (active && keep(active)) return active;
      await manager
        .createQueryBuilder()
        .update(SigningKey)
        .set({ retiredAt: () => 'now()', expiresAt: retiredKeyExpiresAt })
        .where('retired_at IS NULL')
        .execute();
      return manager.save(SigningKey, create());
    });
  }

  async deleteExpired(): Promise<number> {
    const result = await this.keys
      .createQueryBuilder()
      .delete()
      .where('expires_at IS NOT NULL AND expires_at <= now()')
      .execute();
    return result.affected ?? 0;
  }
}
