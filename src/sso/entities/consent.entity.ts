import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/**
 * A user's consent to a client that is not first party: the scopes it may
 * receive without asking again. Revocable by the user (`DELETE /auth/consents/:clientId`).
 */
@Entity({ name: 'oauth_consents' })
export class Consent {
  @ForeignKey('users', { name: 'FK_oauth_consents_user', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_oauth_consents' })
  userId: string;

  @PrimaryColumn({
    name: 'client_id',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_oauth_consents',
  })
  clientId: string;

  /** Space-separated scopes granted. */
  @Column({ type: 'varchar', length: 200 })
  scope: string;

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt: Date;
}
