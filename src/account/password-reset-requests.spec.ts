import { beforeEach, describe, expect, it } from 'vitest';
import type { DataSource, EntityManager } from 'typeorm';
import type { SecurityEvent } from '../audit/security-event.js';
import type { SecurityEventsService } from '../audit/security-events.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { OutboxService } from '../outbox/outbox.service.js';
import type { User } from '../users/entities/user.entity.js';
import { KeySealer } from '../tokens/key-sealer.js';
import type { UsersService } from '../users/users.service.js';
import type { AccountTokensService } from './account-tokens.service.js';
import type { MailLimits } from './mail-limits.js';
import {
  PasswordResetRequests,
  RESET_REQUEST_KIND,
  RESET_TOKEN_TTL_SECONDS,
} from './password-reset-requests.js';

const ADA = { id: 'u-1', email: 'ada@example.com', username: 'ada', disabled: false } as User;
const TRANSACTION = { transaction: true } as unknown as EntityManager;
const SECRET = 'a key-encryption secret for this spec';
const sealed = (email: string) => ({
  sealed: new KeySealer(SECRET, 'reset-request-encryption').seal(
    Buffer.from(email),
    RESET_REQUEST_KIND,
  ),
});

describe(PasswordResetRequests.name, () => {
  let enqueued: { kind: string; payload: Record<string, unknown> }[];
  let issued: unknown[][];
  let mails: unknown[][];
  let events: { event: SecurityEvent; manager?: EntityManager }[];
  let allowed: boolean;
  let sut: PasswordResetRequests;
  beforeEach(() => {
    enqueued = [];
    issued = [];
    mails = [];
    events = [];
    allowed = true;
    sut = new PasswordResetRequests(
      {
        enqueue: async (kind: string, payload: Record<string, unknown>) => {
          enqueued.push({ kind, payload });
        },
      } as unknown as OutboxService,
      {
        findActiveByEmail: async (email: string) => (email === ADA.email ? ADA : null),
      } as unknown as UsersService,
      {
        issue: async (...args: unknown[]) => {
          issued.push(args);
          return 'raw-token';
        },
      } as unknown as AccountTokensService,
      {
        link: (path: string, query: Record<string, string>) =>
          `https://auth.example${path}?${new URLSearchParams(query).toString()}`,
        queue: async (...args: unknown[]) => {
          mails.push(args);
        },
      } as unknown as MailService,
      { allowAddress: async () => allowed } as unknown as MailLimits,
      {
        record: async (event: SecurityEvent, manager?: EntityManager) => {
          events.push({ event, manager });
        },
      } as unknown as SecurityEventsService,
      {
        transaction: (work: (manager: EntityManager) => Promise<unknown>) => work(TRANSACTION),
      } as unknown as DataSource,
      SECRET,
    );
  });

  it('queues the same one message for any address, and looks nothing up while asked', async () => {
    await sut.request('ada@example.com');
    await sut.request('nobody@example.com');

    expect(enqueued.map(({ kind, payload }) => [kind, Object.keys(payload)])).toEqual([
      [RESET_REQUEST_KIND, ['sealed']],
      [RESET_REQUEST_KIND, ['sealed']],
    ]);
    expect([issued, mails, events]).toEqual([[], [], []]);
  });

  it('keeps the address sealed at rest, and has the worker scrub it once handled', async () => {
    await sut.request('ada@example.com');

    expect(JSON.stringify(enqueued)).not.toContain('ada');
    expect(sut.scrubDelivered).toBe(true);
    await sut.deliver(enqueued[0].payload);
    expect(mails.map(([to]) => to)).toEqual([ADA.email]);
  });

  it('issues a 30-minute token and mails its link in one transaction, with the event', async () => {
    await sut.deliver(sealed(ADA.email));

    expect(issued).toEqual([[ADA.id, 'reset_password', RESET_TOKEN_TTL_SECONDS, TRANSACTION]]);
    expect(RESET_TOKEN_TTL_SECONDS).toBe(1800);
    expect(mails).toEqual([
      [
        ADA.email,
        'reset-password',
        {
          username: 'ada',
          link: 'https://auth.example/account/reset-password?token=raw-token',
          expiresInMinutes: 30,
        },
        TRANSACTION,
      ],
    ]);
    expect(events).toEqual([
      {
        event: expect.objectContaining({ action: 'password.reset_requested', outcome: 'success' }),
        manager: TRANSACTION,
      },
    ]);
  });

  it('does nothing at all for an unknown address, an unsealed or a malformed payload', async () => {
    await sut.deliver(sealed('nobody@example.com'));
    await sut.deliver({ email: ADA.email });
    await sut.deliver({ sealed: 42 });
    await sut.deliver({ sealed: 'not sealed at all' });
    await sut.deliver({});

    expect([issued, mails, events]).toEqual([[], [], []]);
  });

  it('issues no token and sends nothing beyond the address limit, and says so to the operator', async () => {
    allowed = false;

    await sut.deliver(sealed(ADA.email));

    expect([issued, mails]).toEqual([[], []]);
    expect(events.map(({ event }) => [event.outcome, event.reason])).toEqual([
      ['failure', 'address_mail_limit'],
    ]);
  });
});
