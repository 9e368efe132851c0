import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account e-mail: when a user's address was verified (existing users start
 * unverified: nobody has proved they own their address yet), and the
 * single-use tokens that mails carry (verification, e-mail change and its
 * report link, password reset), stored by their SHA-256.
 */
export class AddAccountTokens1796009126834 implements MigrationInterface {
  name = 'AddAccountTokens1796009126834';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "email_verified_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`
      CREATE TABLE "account_tokens" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "purpose" text NOT NULL,
        "token_hash" bytea NOT NULL,
        "email" character varying(254),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_account_tokens" PRIMARY KEY ("id"),
        CONSTRAINT "FK_account_tokens_user" FOREIGN KEY ("user_id")
          REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_account_tokens_token_hash" ON "account_tokens" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_account_tokens_user_purpose" ON "account_tokens" ("user_id", "purpose")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "account_tokens"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email_verified_at"`);
  }
}
