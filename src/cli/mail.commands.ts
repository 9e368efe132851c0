import { Command, CommandRunner } from 'nest-commander';
import type { Config } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { MailDelivery } from '../mail/mail-delivery.js';
import { CliContext, CliError } from './cli-context.js';
import { printable } from './output.js';

@Command({
  name: 'mail:test',
  arguments: '<address>',
  description:
    'Send the test mail to an address through SMTP_URL at once (not through the outbox, and never retried), and say whether the SMTP server accepted it.',
  argsDescription: { address: 'where the test mail goes (local@domain)' },
})
export class TestMailCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([address]: string[]): Promise<void> {
    await this.cli.run(async (services) => {
      if (!services.get<Config>(CONFIG).mail.smtpUrl) {
        throw new CliError(
          'SMTP_URL is not set: without it the server writes mails to its log instead of sending them. Set SMTP_URL to test delivery.',
        );
      }
      await services.get(MailDelivery).sendNow(address, 'test');
    });
    process.stdout.write(`test mail accepted by the SMTP server for ${printable(address)}\n`);
  }
}

export const MAIL_COMMANDS = [TestMailCommand];
