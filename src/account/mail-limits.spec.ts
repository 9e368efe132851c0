import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, testConfig } from '../../test/support/unit.js';
import type { SecurityEventsService } from '../audit/security-events.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MemoryRateLimitStorage } from '../rate-limit/rate-limit.storage.js';
import { MailLimits } from './mail-limits.js';

describe(MailLimits.name, () => {
  let clock: FakeClock;
  let storage: MemoryRateLimitStorage;
  let recorded: string[];
  let sut: MailLimits;
  beforeEach(() => {
    clock = new FakeClock();
    storage = new MemoryRateLimitStorage(clock);
    recorded = [];
    const events = {
      record: async (event: { details?: { limit?: unknown } }) => {
        recorded.push(String(event.details?.limit));
      },
    } as unknown as SecurityEventsService;
    sut = new MailLimits(
      storage,
      testConfig({ THROTTLE_MAIL_ADDRESS: '2/60' }),
      new MetricsService(),
      events,
    );
  });
  afterEach(() => storage.close());

  it('allows THROTTLE_MAIL_ADDRESS mails per address and window, whatever the case', async () => {
    const answers = [
      await sut.allowAddress('a@example.com'),
      await sut.allowAddress('A@Example.com'),
      await sut.allowAddress('a@example.com'),
      await sut.allowAddress('b@example.com'),
    ];

    expect(answers).toEqual([true, true, false, true]);
    expect(recorded).toEqual(['mail_address']);
  });

  it('allows the address again once its window is over', async () => {
    await sut.allowAddress('a@example.com');
    await sut.allowAddress('a@example.com');

    clock.advance(60_000);

    await expect(sut.allowAddress('a@example.com')).resolves.toBe(true);
  });
});
