import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddRevokedAccessTokens1795986605771 implements MigrationInterface {
  name = 'AddRevokedAccessTokens1795986605771';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "revoked_access_tokens" (
        "jti" uuid NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_revoked_access_tokens" PRIMARY KEY ("jti")
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_revoked_access_tokens_expires_at" ON "revoked_access_tokens" ("expires_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "revoked_access_tokens"`);
  }
}
