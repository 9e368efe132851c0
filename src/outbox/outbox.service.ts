import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import type { OutboxHandler } from './outbox-handler.js';
import { OutboxMessagesRepository } from './outbox-messages.repository.js';

/**
 * The outbox: messages for the outside world (webhooks, mails) written in
 * the database transaction of what caused them, and delivered afterwards by
 * `OutboxWorker` with retries, so that a crash or an unreachable recipient
 * loses nothing and no request waits for delivery.
 */
@Injectable()
export class OutboxService {
  private readonly handlers = new Map<string, OutboxHandler>();

  constructor(
    private readonly messages: OutboxMessagesRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Queues `payload` for the handler of `kind`. Pass the caller's
   * transaction `manager` so the message commits or rolls back with it.
   */
  async enqueue(
    kind: string,
    payload: Record<string, unknown>,
    manager?: EntityManager,
  ): Promise<void> {
    const now = new Date(this.clock.now());
    await this.messages.insert({ kind, payload, nextAttemptAt: now, createdAt: now }, manager);
  }

  /** Makes `handler` the one that delivers messages of its kind (call it in `onModuleInit`). */
  register(handler: OutboxHandler): void {
    if (this.handlers.has(handler.kind)) {
      throw new Error(`an outbox handler for "${handler.kind}" is already registered`);
    }
    this.handlers.set(handler.kind, handler);
  }

  handlerFor(kind: string): OutboxHandler | undefined {
    return this.handlers.get(kind);
  }
}
