import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock, strongSecret, testConfig } from '../../test/support/unit.js';
import { ConfigError } from '../config/config.js';
import type { OutboxMessagesRepository } from '../outbox/outbox-messages.repository.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { SecurityWebhook, webhookSignature } from './security-webhook.js';

/** The outbox over a repository that keeps what is inserted. */
function recordingOutbox(clock: FakeClock) {
  const inserted: { kind: string; payload: Record<string, unknown> }[] = [];
  const repository: Pick<OutboxMessagesRepository, 'insert'> = {
    insert: async ({ kind, payload }) => void inserted.push({ kind, payload }),
  };
  return { inserted, outbox: new OutboxService(repository as OutboxMessagesRepository, clock) };
}

const webhookEnv = (events?: string) => ({
  SECURITY_WEBHOOK_URL: 'https://alerts.example.com/hook',
  SECURITY_WEBHOOK_SECRET: strongSecret(),
  SECURITY_WEBHOOK_EVENTS: events,
});

describe(SecurityWebhook.name, () => {
  const clock = new FakeClock();

  it('refuses to start with an event name that does not exist', () => {
    const config = testConfig(webhookEnv('auth.refresh.reuse_detected,auth.nothing'));

    expect(() => new SecurityWebhook(config, recordingOutbox(clock).outbox, clock)).toThrow(
      new ConfigError(['SECURITY_WEBHOOK_EVENTS names unknown events: auth.nothing']),
    );
  });

  it('queues the events it subscribes to, with a fresh id each, and nothing else', async () => {
    const { inserted, outbox } = recordingOutbox(clock);
    const sut = new SecurityWebhook(testConfig(webhookEnv()), outbox, clock);
    const reuse = {
      action: 'auth.refresh.reuse_detected',
      outcome: 'failure',
      subject: { type: 'user', id: 'u1' },
      details: { sessionId: 's1' },
    } as const;

    await sut.enqueue(reuse, { type: 'anonymous' });
    await sut.enqueue(reuse, { type: 'anonymous' });
    await sut.enqueue({ action: 'key.rotated', outcome: 'success' }, { type: 'cli' });

    expect(inserted.map(({ kind }) => kind)).toEqual(['security_webhook', 'security_webhook']);
    expect(inserted[0].payload).toMatchObject({
      event: 'auth.refresh.reuse_detected',
      time: new Date(clock.now()).toISOString(),
      actor: { type: 'anonymous' },
      subject: { type: 'user', id: 'u1' },
      details: { sessionId: 's1' },
    });
    expect(inserted[0].payload.id).not.toBe(inserted[1].payload.id);
  });

  it('queues nothing without SECURITY_WEBHOOK_URL', async () => {
    const { inserted, outbox } = recordingOutbox(clock);
    const sut = new SecurityWebhook(testConfig(), outbox, clock);

    await sut.enqueue(
      { action: 'auth.refresh.reuse_detected', outcome: 'failure' },
      { type: 'anonymous' },
    );

    expect(inserted).toEqual([]);
  });
});

describe(webhookSignature.name, () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');

    expect(webhookSignature('k', 1_700_000_000, '{"a":1}')).toBe(`t=1700000000,v1=${expected}`);
  });
});
