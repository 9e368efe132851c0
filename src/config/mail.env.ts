import { envRule } from './env.js';

/** Where mail goes and how its links are made (docs/email.md). */
export interface MailSettings {
  /** `smtp://` or `smtps://`, credentials optional; `undefined`: mails are written to the log (development only). */
  smtpUrl: string | undefined;
  /** The From header; `undefined`: the product's name at `no-reply@<host of publicUrl>`. */
  from: string | undefined;
  /** The base of every link in a mail; JWT_ISSUER unless set. */
  publicUrl: string;
}

const production = (env: object) => (env as Record<string, unknown>).NODE_ENV === 'production';

/** The URL holds credentials: the problem never repeats it. */
const IsSmtpUrl = () =>
  envRule(
    'smtpUrl',
    (raw) => {
      const url = URL.canParse(raw) ? new URL(raw) : undefined;
      return !!url && ['smtp:', 'smtps:'].includes(url.protocol) && !!url.hostname;
    },
    (variable) =>
      `${variable} must be an smtp:// or smtps:// URL such as smtp://user:pass@host:587`,
  );

/** One address, optionally with a display name; no line breaks (they would start a header). */
const IsMailFrom = () =>
  envRule(
    'mailFrom',
    (raw) =>
      raw.length <= 320 &&
      !/[\r\n]/.test(raw) &&
      /^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/.test(raw),
    (variable, raw) =>
      `${variable} must be an address such as "Example" <no-reply@example.com> (got "${raw.replace(/[\r\n]/g, ' ')}")`,
  );

const IsPublicUrl = () =>
  envRule(
    'publicUrl',
    (raw, { object }) => {
      const protocols = production(object) ? ['https:'] : ['https:', 'http:'];
      const url = URL.canParse(raw) ? new URL(raw) : undefined;
      return !!url && protocols.includes(url.protocol) && !url.search && !url.hash && !url.username;
    },
    (variable, raw, { object }) =>
      `${variable} must be an ${production(object) ? 'https://' : 'http:// or https://'} URL without query or fragment (got "${raw}")`,
  );

export class MailEnv {
  @IsSmtpUrl()
  SMTP_URL?: string;

  @IsMailFrom()
  MAIL_FROM?: string;

  @IsPublicUrl()
  PUBLIC_URL?: string;
}

/** `issuer`: JWT_ISSUER (or its default), the base of links unless PUBLIC_URL is set. */
export function mailSettings(env: MailEnv, issuer: string): MailSettings {
  return { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, publicUrl: env.PUBLIC_URL ?? issuer };
}
