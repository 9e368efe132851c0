import { KeySealer } from '../tokens/key-sealer.js';
import type { MailData, MailTemplate } from './mail-templates.js';

/**
 * What a queued mail keeps in the outbox. The recipient and the data (its
 * links carry account tokens) are sealed; only the id and the template name,
 * which the metrics use, are readable. Delivered payloads are scrubbed.
 */
export interface QueuedMail {
  /** The Message-ID's local part, the same on every attempt. */
  id: string;
  template: MailTemplate;
  /** `{ to, data }`, AES-256-GCM under a key derived from KEY_ENCRYPTION_SECRET, bound to `id`. */
  sealed: string;
}

export interface MailContent {
  to: string;
  data: MailData;
}

/** Seals a mail's recipient and data for the outbox, and opens them for delivery. */
export class MailPayloadSealer {
  private readonly sealer: KeySealer;

  constructor(keyEncryptionSecret: string) {
    this.sealer = new KeySealer(keyEncryptionSecret, 'queued-mail-encryption');
  }

  seal(id: string, content: MailContent): string {
    return this.sealer.seal(Buffer.from(JSON.stringify(content)), `mail:${id}`);
  }

  /** Throws when the payload was sealed under another secret or altered. */
  open(queued: QueuedMail): MailContent {
    return JSON.parse(this.sealer.open(queued.sealed, `mail:${queued.id}`).toString('utf8'));
  }
}
