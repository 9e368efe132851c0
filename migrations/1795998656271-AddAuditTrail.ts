import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddAuditTrail1795998656271 implements MigrationInterface {
  name = 'AddAuditTrail1795998656271';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "audit_events" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "actor_type" character varying(16) NOT NULL,
        "actor_id" character varying(128),
        "subject_type" character varying(16),
        "subject_id" character varying(128),
        "action" character varying(64) NOT NULL,
        "outcome" character varying(16) NOT NULL,
        "reason" character varying(64),
        "ip" character varying(64),
        "user_agent" character varying(512),
        "request_id" character varying(64),
        "details" jsonb,
        "seq" bigint,
        "prev_hash" character(64),
        "hash" character(64),
        CONSTRAINT "PK_audit_events" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_occurred_at" ON "audit_events" ("occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_actor_id" ON "audit_events" ("actor_id")`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_action" ON "audit_events" ("action")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_audit_events_seq" ON "audit_events" ("seq")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_subject" ON "audit_events" ("subject_type", "subject_id", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_pending" ON "audit_events" ("id") WHERE seq IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "audit_checkpoints" (
        "seq" bigint NOT NULL,
        "hash" character(64) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "signature" character varying(64) NOT NULL,
        CONSTRAINT "PK_audit_checkpoints" PRIMARY KEY ("seq")
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_checkpoints"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
