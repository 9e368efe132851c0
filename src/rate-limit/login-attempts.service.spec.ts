import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caught, FakeClock, testConfig } from '../../test/support/unit.js';
import { LoginAttemptsService, TooManyAttemptsException } from './login-attempts.service.js';
import { MemoryRateLimitStorage } from './rate-limit.storage.js';
import { MetricsService } from '../metrics/metrics.service.js';

describe(LoginAttemptsService.name, () => {
  let clock: FakeClock;
  let storage: MemoryRateLimitStorage;
  let sut: LoginAttemptsService;
  beforeEach(() => {
    clock = new FakeClock();
    storage = new MemoryRateLimitStorage(clock);
    sut = new LoginAttemptsService(
      storage,
      testConfig({
        THROTTLE_LOGIN_ACCOUNT: '3/60',
        THROTTLE_LOGIN_DEVICE: '2/30',
        THROTTLE_LOGIN_LOCK_MAX: '90',
      }),
      new MetricsService(),
    );
  });
  afterEach(() => storage.close());

  const failTimes = async (count: number, account: string, device: string | null = null) => {
    for (let i = 0; i < count; i++) await sut.reserve(account, device);
  };
  const refusal = async (account: string, device: string | null = null) =>
    (await caught(() => sut.reserve(account, device))) as TooManyAttemptsException;

  it('refuses untrusted clients after THROTTLE_LOGIN_ACCOUNT failures, with the seconds to wait', async () => {
    await failTimes(3, 'user:a');

    const error = await refusal('user:a');

    expect(error).toBeInstanceOf(TooManyAttemptsException);
    expect(error.getStatus()).toBe(429);
    expect(error.retryAfterSeconds).toBe(60);
  });

  it('doubles the untrusted lock up to THROTTLE_LOGIN_LOCK_MAX', async () => {
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      await failTimes(3, 'user:a');
      waits.push((await refusal('user:a')).retryAfterSeconds);
      clock.advance(waits[round] * 1000);
    }

    expect(waits).toEqual([60, 90, 90]);
  });

  it('keeps a known device signing in while untrusted clients are locked', async () => {
    await failTimes(3, 'user:a');

    await expect(sut.reserve('user:a', 'device-1')).resolves.toMatchObject({
      allowanceSpent: false,
    });
  });

  it('locks a device on its own allowance (THROTTLE_LOGIN_DEVICE), not other devices or untrusted clients', async () => {
    await failTimes(2, 'user:a', 'device-1');

    expect((await refusal('user:a', 'device-1')).retryAfterSeconds).toBe(30);
    await expect(sut.reserve('user:a', 'device-2')).resolves.toBeDefined();
    await expect(sut.reserve('user:a', null)).resolves.toBeDefined();
  });

  it('says when an attempt spends the allowance', async () => {
    const first = await sut.reserve('user:a', null);
    await sut.reserve('user:a', null);
    const third = await sut.reserve('user:a', null);

    expect([first.allowanceSpent, third.allowanceSpent]).toEqual([false, true]);
  });

  it('gives back a released attempt and the lock it set', async () => {
    await failTimes(2, 'user:a');
    const success = await sut.reserve('user:a', null);

    await sut.release(success);

    await expect(sut.reserve('user:a', null)).resolves.toMatchObject({ allowanceSpent: true });
  });

  it('unlocks the account for untrusted clients, and leaves a device its own streak', async () => {
    await failTimes(3, 'user:a');
    await failTimes(2, 'user:a', 'device-1');

    await sut.unlockAccount('user:a');

    await expect(sut.reserve('user:a', null)).resolves.toMatchObject({ allowanceSpent: false });
    expect((await refusal('user:a', 'device-1')).retryAfterSeconds).toBe(30);
  });
});
