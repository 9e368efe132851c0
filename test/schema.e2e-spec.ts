import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from './support/test-app.js';

/**
 * The entities and the migrations describe one schema: on a database the
 * migrations just built (the app migrates its fresh schema or data folder at
 * start, with the options the CLI uses too), TypeORM finds nothing to change,
 * so `npm run migration:generate` on a clean tree writes an empty migration.
 */
describe('entities and migrations', () => {
  const t = useTestApp();

  it('leave migration:generate nothing to do on a freshly migrated database', async () => {
    const dataSource = t.app.get(DataSource);
    expect(await dataSource.showMigrations()).toBe(false);

    const pending = await dataSource.driver.createSchemaBuilder().log();

    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
