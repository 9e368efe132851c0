import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  algorithm: string;

  /** Public JWK (absent for HMAC keys, which are never published). */
  @Column({ name: 'public_jwk', type: 'jsonb', nullable: true })
  publicJwk: Record<string, unknown> | null;

  /** AES-256-GCM sealed PKCS#8 private key (or HMAC secret). */
  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Set when a newer key takes over signing; the key still verifies until `expiresAt`. */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;

  /** After this instant no token it signed can be valid; it leaves the JWKS. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
