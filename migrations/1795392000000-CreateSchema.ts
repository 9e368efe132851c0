import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSchema1795392000000 implements MigrationInterface {
  name = 'CreateSchema1795392000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "email" character varying(254) NOT NULL,
        "username" character varying(32) NOT NULL,
        "display_name" character varying(100),
        "password_hash" character varying(255) NOT NULL,
        "roles" text array NOT NULL DEFAULT '{user}',
        "disabled" boolean NOT NULL DEFAULT false,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_login_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_users" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users" ("email")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_username" ON "users" ("username")`);

    await queryRunner.query(`
      CREATE TABLE "refresh_sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "family_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "token_hash" bytea NOT NULL,
        "user_agent" character varying(512),
        "ip" character varying(64),
        "session_started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "spent_at" TIMESTAMP WITH TIME ZONE,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        "revoked_reason" character varying(32),
        CONSTRAINT "PK_refresh_sessions" PRIMARY KEY ("id"),
        CONSTRAINT "FK_refresh_sessions_user" FOREIGN KEY ("user_id")
          REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_refresh_sessions_token_hash" ON "refresh_sessions" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_refresh_sessions_family" ON "refresh_sessions" ("family_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_refresh_sessions_user_live" ON "refresh_sessions" ("user_id") WHERE spent_at IS NULL AND revoked_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "token_cutoffs" (
        "user_id" uuid NOT NULL,
        "not_before" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_token_cutoffs" PRIMARY KEY ("user_id")
      )`);

    await queryRunner.query(`
      CREATE TABLE "signing_keys" (
        "kid" character varying(64) NOT NULL,
        "algorithm" character varying(16) NOT NULL,
        "public_jwk" jsonb,
        "private_key_sealed" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "retired_at" TIMESTAMP WITH TIME ZONE,
        "expires_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_signing_keys" PRIMARY KEY ("kid")
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "signing_keys"`);
    await queryRunner.query(`DROP TABLE "token_cutoffs"`);
    await queryRunner.query(`DROP TABLE "refresh_sessions"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
