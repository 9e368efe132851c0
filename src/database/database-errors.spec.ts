import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../common/errors.js';
import { databaseUnavailable } from './database-errors.js';

const withCode = (code: string) => Object.assign(new Error('connect failed'), { code });

describe(databaseUnavailable.name, () => {
  const sut = databaseUnavailable;

  it.each(['ECONNREFUSED', 'ETIMEDOUT', '57P01', '08006'])(
    'turns a connection failure (%s) into the unavailable error',
    (code) => {
      const translated = sut(withCode(code));

      expect(translated).toBeInstanceOf(DependencyUnavailableError);
      expect((translated as DependencyUnavailableError).detail).toBe(
        'The database is unavailable; try again shortly',
      );
    },
  );

  it('looks through TypeORM to the driver error', () => {
    const error = new QueryFailedError('SELECT 1', [], withCode('57P03'));

    expect(sut(error)).toBeInstanceOf(DependencyUnavailableError);
  });

  it('recognises node-postgres losing the connection', () => {
    expect(sut(new Error('Connection terminated unexpectedly'))).toBeInstanceOf(
      DependencyUnavailableError,
    );
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['an error of ours', new Error('something else')],
    ['not an error', 'oops'],
  ])('leaves %s as it is', (_, error) => {
    expect(sut(error)).toBe(error);
  });
});
