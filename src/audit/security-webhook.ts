import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHmac, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import type { Actor } from '../common/request-context.js';
import { currentRequestContext } from '../common/request-context.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import type { OutboxHandler } from '../outbox/outbox-handler.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { SECURITY_ACTIONS, type SecurityEvent } from './security-event.js';

/** A receiver that has not answered within this long is tried again later. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/** The body of one webhook call (docs/operations.md#security-webhook). */
export interface SecurityWebhookBody {
  /** Unique per event, the same on every retry: receivers de-duplicate on it. */
  id: string;
  event: string;
  outcome: SecurityEvent['outcome'];
  /** ISO 8601, when the event happened. */
  time: string;
  actor: Actor;
  subject: SecurityEvent['subject'] | null;
  reason: string | null;
  requestId: string | null;
  ip: string | null;
  details: NonNullable<SecurityEvent['details']>;
}

/** `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Security events as signed webhook calls to SECURITY_WEBHOOK_URL: queued in
 * the outbox in the transaction of the event, delivered and retried by the
 * outbox worker, so a request never waits for the receiver.
 */
@Injectable()
export class SecurityWebhook implements OutboxHandler, OnModuleInit {
  readonly kind = 'security_webhook';
  private readonly events: ReadonlySet<string>;

  constructor(
    @InjectConfig() private readonly config: Config,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {
    const { events } = config.securityWebhook;
    const unknown = events.filter((name) => !(name in SECURITY_ACTIONS));
    if (unknown.length > 0) {
      throw new ConfigError([
        `SECURITY_WEBHOOK_EVENTS names unknown events: ${unknown.join(', ')}`,
      ]);
    }
    this.events = new Set(config.securityWebhook.url ? events : []);
  }

  onModuleInit(): void {
    this.outbox.register(this);
  }

  /** Queues the event through `manager` if the webhook subscribes to it. */
  async enqueue(event: SecurityEvent, actor: Actor, manager?: EntityManager): Promise<void> {
    if (!this.events.has(event.action)) return;
    await this.outbox.enqueue(this.kind, { ...this.body(event, actor) }, manager);
  }

  /** One signed POST; anything but a 2xx answer within the timeout is retried. */
  async deliver(payload: Record<string, unknown>): Promise<void> {
    const { url, secret } = this.config.securityWebhook;
    if (!url || !secret) throw new Error('SECURITY_WEBHOOK_URL is no longer set');
    const body = JSON.stringify(payload);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-event-id': String(payload.id),
        'x-signature': webhookSignature(secret, this.clock.nowSeconds(), body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the receiver answered ${response.status}`);
  }

  private body(event: SecurityEvent, actor: Actor): SecurityWebhookBody {
    const context = currentRequestContext();
    return {
      id: randomUUID(),
      event: event.action,
      outcome: event.outcome,
      time: new Date(this.clock.now()).toISOString(),
      actor,
      subject: event.subject ?? null,
      reason: event.reason ?? null,
      requestId: context?.requestId ?? null,
      ip: context?.ip ?? null,
      details: event.details ?? {},
    };
  }
}
