import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { caught } from '../../test/support/unit.js';
import { RequestChecks } from './request-checks.js';

const tooMany = () => new HttpException('Too many requests', 429);

/** A check that settles when the test says so. */
function pending<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(RequestChecks.name, () => {
  it('is one object per request', () => {
    const request = {};

    expect(RequestChecks.of(request)).toBe(RequestChecks.of(request));
    expect(RequestChecks.of({})).not.toBe(RequestChecks.of(request));
  });

  it('lets the deferring guard go on at once, and settles its check with the other one', async () => {
    const sut = new RequestChecks();
    const count = pending();
    const token = pending<string>();
    let settled = false;

    await sut.defer(count.promise);
    const both = sut.settle(token.promise).then((value) => {
      settled = true;
      return value;
    });
    token.resolve('principal');
    await Promise.resolve();
    expect(settled).toBe(false);
    count.resolve();

    expect(await both).toBe('principal');
  });

  it('lets a failed deferred check win over the other result, success or failure', async () => {
    const refused = tooMany();
    const sut = new RequestChecks();
    await sut.defer(Promise.reject(refused));

    expect(await caught(() => sut.settle(Promise.reject(new Error('invalid token'))))).toBe(
      refused,
    );
  });

  it('passes on the failure of the check it settles when every deferred one passed', async () => {
    const invalid = new Error('invalid token');
    const sut = new RequestChecks();
    await sut.defer(Promise.resolve());

    expect(await caught(() => sut.settle(Promise.reject(invalid)))).toBe(invalid);
  });

  it('waits for a check deferred after settling (guards in another order), so none is lost', async () => {
    const refused = tooMany();
    const sut = new RequestChecks();
    await sut.settle(Promise.resolve(true));

    expect(await caught(() => sut.defer(Promise.reject(refused)))).toBe(refused);
  });
});
