import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** `<epoch-ms>-VerbNoun.ts`, e.g. `1763856000000-CreateSchema.ts`. */
const FILE_NAME = /^(\d{13})-([A-Z][a-z]+(?:[A-Z][a-z0-9]*)+)\.ts$/;

const files = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
  .sort();

/** The class each migration file should export: `VerbNoun<epoch-ms>`. */
function expectedClassName(file: string): string {
  const [, timestamp, verbNoun] = FILE_NAME.exec(file) ?? [];
  return `${verbNoun}${timestamp}`;
}

describe('migrations', () => {
  const listed = migrations.map((migration) => migration.name);

  it('has at least one migration file', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s is named <epoch-ms>-VerbNoun.ts', (file) => {
    expect(file).toMatch(FILE_NAME);
  });

  it.each(files)(
    '%s exports one migration class, VerbNoun<epoch-ms>, listed exactly once',
    async (file) => {
      const module = (await import(path.join(MIGRATIONS_DIR, file))) as Record<
        string,
        { name: string }
      >;

      expect(Object.values(module).map((exported) => exported.name)).toEqual([
        expectedClassName(file),
      ]);
      expect(listed.filter((name) => name === expectedClassName(file))).toHaveLength(1);
    },
  );

  it('lists every file and nothing else, oldest first', () => {
    expect(listed).toEqual(files.map(expectedClassName));
  });

  it('gives every migration an up and a down, and a name TypeORM records', () => {
    for (const Migration of migrations) {
      const instance = new Migration();
      expect(instance).toMatchObject({
        name: Migration.name,
        up: expect.any(Function),
        down: expect.any(Function),
      });
    }
  });
});
