import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Access tokens of this user issued before `notBefore` are void (logout
 * everywhere, disable, role change). The blocklist holds the same fact for
 * fast checks; this row is what rebuilds it if Redis loses its data.
 * No foreign key: the row must outlive a deleted user until their tokens expire.
 */
@Entity({ name: 'token_cutoffs' })
export class TokenCutoff {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'not_before', type: 'timestamptz' })
  notBefore: Date;
}
