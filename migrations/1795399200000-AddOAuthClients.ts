import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddOAuthClients1795399200000 implements MigrationInterface {
  name = 'AddOAuthClients1795399200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "oauth_clients" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "client_id" character varying(64) NOT NULL,
        "name" character varying(100) NOT NULL,
        "secret_hash" bytea NOT NULL,
        "roles" text array NOT NULL DEFAULT '{}',
        "disabled" boolean NOT NULL DEFAULT false,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_oauth_clients" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_oauth_clients_client_id" ON "oauth_clients" ("client_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "oauth_clients"`);
  }
}
