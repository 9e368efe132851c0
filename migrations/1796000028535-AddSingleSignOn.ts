import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Browser sign-in and single sign-on: SSO sessions (the `__Host-sso`
 * cookie), authorization codes, remembered consents, and the app, scopes and
 * SSO session a refresh session was issued to.
 */
export class AddSingleSignOn1796000028535 implements MigrationInterface {
  name = 'AddSingleSignOn1796000028535';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "sso_sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "token_hash" bytea NOT NULL,
        "user_id" uuid NOT NULL,
        "auth_time" TIMESTAMP WITH TIME ZONE NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "ended_at" TIMESTAMP WITH TIME ZONE,
        "user_agent" character varying(512),
        "ip" character varying(64),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_sso_sessions" PRIMARY KEY ("id"),
        CONSTRAINT "FK_sso_sessions_user" FOREIGN KEY ("user_id")
          REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_sso_sessions_token_hash" ON "sso_sessions" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_sso_sessions_user_live" ON "sso_sessions" ("user_id") WHERE ended_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "authorization_codes" (
        "code_hash" bytea NOT NULL,
        "client_id" character varying(64) NOT NULL,
        "user_id" uuid NOT NULL,
        "sso_session_id" uuid NOT NULL,
        "redirect_uri" text NOT NULL,
        "scope" character varying(200) NOT NULL,
        "nonce" character varying(255) NOT NULL,
        "code_challenge" character varying(128) NOT NULL,
        "auth_time" TIMESTAMP WITH TIME ZONE NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "redeemed_at" TIMESTAMP WITH TIME ZONE,
        "session_id" uuid,
        "replayed_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_authorization_codes" PRIMARY KEY ("code_hash"),
        CONSTRAINT "FK_authorization_codes_user" FOREIGN KEY ("user_id")
          REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(
      `CREATE INDEX "IDX_authorization_codes_expires_at" ON "authorization_codes" ("expires_at")`,
    );
    await queryRunner.query(`
      CREATE TABLE "oauth_consents" (
        "user_id" uuid NOT NULL,
        "client_id" character varying(64) NOT NULL,
        "scope" character varying(200) NOT NULL,
        "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_oauth_consents" PRIMARY KEY ("user_id", "client_id"),
        CONSTRAINT "FK_oauth_consents_user" FOREIGN KEY ("user_id")
          REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`
      ALTER TABLE "refresh_sessions"
        ADD "client_id" character varying(64),
        ADD "scope" character varying(200),
        ADD "sso_session_id" uuid`);
    await queryRunner.query(
      `CREATE INDEX "IDX_refresh_sessions_sso_session" ON "refresh_sessions" ("sso_session_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_refresh_sessions_sso_session"`);
    await queryRunner.query(`
      ALTER TABLE "refresh_sessions"
        DROP COLUMN "sso_session_id",
        DROP COLUMN "scope",
        DROP COLUMN "client_id"`);
    await queryRunner.query(`DROP TABLE "oauth_consents"`);
    await queryRunner.query(`DROP TABLE "authorization_codes"`);
    await queryRunner.query(`DROP TABLE "sso_sessions"`);
  }
}
