import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from '../../common/role.enum.js';

/** A service that signs in with the client-credentials grant. */
@Entity({ name: 'oauth_clients' })
export class OAuthClient {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_oauth_clients_client_id', { unique: true })
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** SHA-256 of the secret (the secret is 256 random bits, so a slow hash adds nothing). */
  @Column({ name: 'secret_hash', type: 'bytea', select: false })
  secretHash?: Buffer;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  roles: Role[];

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
