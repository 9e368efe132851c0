import { CreateSchema1763856000000 } from './1763856000000-CreateSchema.js';

/**
 * Every migration, oldest first. Listed rather than globbed so that the same
 * list loads under tsc output, tsx and the test runner; a test checks that no
 * file in this folder is missing from it.
 */
export const migrations = [CreateSchema1763856000000];
