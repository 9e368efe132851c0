import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 7591 metadata for OAuth clients. Every existing client was a service
 * authenticating with its secret for the client-credentials grant, and stays one.
 */
export class AddClientMetadata1795998666063 implements MigrationInterface {
  name = 'AddClientMetadata1795998666063';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "oauth_clients"
        ALTER COLUMN "secret_hash" DROP NOT NULL,
        ADD "redirect_uris" text array NOT NULL DEFAULT '{}',
        ADD "post_logout_redirect_uris" text array NOT NULL DEFAULT '{}',
        ADD "grant_types" text array NOT NULL DEFAULT '{client_credentials}',
        ADD "token_endpoint_auth_method" character varying(32) NOT NULL DEFAULT 'client_secret_basic',
        ADD "scope" character varying(200) NOT NULL DEFAULT '',
        ADD "first_party" boolean NOT NULL DEFAULT false`);
    // The defaults above were for the existing rows; new rows always state both.
    await queryRunner.query(`
      ALTER TABLE "oauth_clients"
        ALTER COLUMN "grant_types" DROP DEFAULT,
        ALTER COLUMN "token_endpoint_auth_method" DROP DEFAULT`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "oauth_clients" WHERE "secret_hash" IS NULL`);
    await queryRunner.query(`
      ALTER TABLE "oauth_clients"
        DROP COLUMN "first_party",
        DROP COLUMN "scope",
        DROP COLUMN "token_endpoint_auth_method",
        DROP COLUMN "grant_types",
        DROP COLUMN "post_logout_redirect_uris",
        DROP COLUMN "redirect_uris",
        ALTER COLUMN "secret_hash" SET NOT NULL`);
  }
}
