import type { DataSource } from 'typeorm';
import { MigrationExecutor } from 'typeorm';

// Any constant works; it only has to be the same for every instance.
const MIGRATION_LOCK = 7_240_501;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so that
 * several instances starting together apply each migration exactly once.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      // On the connection that holds the lock: the embedded database has only one.
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      await executor.executePendingMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
