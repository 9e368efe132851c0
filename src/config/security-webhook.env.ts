import { envRule, IsSecret } from './env.js';

/** Where security events are delivered as signed webhooks (docs/operations.md#security-webhook). */
export interface SecurityWebhookSettings {
  /** `undefined`: no webhook, nothing is queued. */
  url: string | undefined;
  /** HMAC-SHA256 key of the `X-Signature` header. */
  secret: string | undefined;
  /** The event names delivered. */
  events: string[];
}

/** By default only a refresh-token reuse is alerted on. */
export const DEFAULT_WEBHOOK_EVENTS = ['auth.refresh.reuse_detected'];

const EVENT_LIST = /^[a-z_.]+(\s*,\s*[a-z_.]+)*$/;

/** The URL may hold credentials: the problem never repeats it. */
const IsWebhookUrl = () => {
  const production = (env: object) => (env as Record<string, unknown>).NODE_ENV === 'production';
  return envRule(
    'webhookUrl',
    (raw, { object }) => {
      const protocols = production(object) ? ['https:'] : ['https:', 'http:'];
      return URL.canParse(raw) && protocols.includes(new URL(raw).protocol);
    },
    (variable, _raw, { object }) =>
      `${variable} must be an ${production(object) ? 'https://' : 'http:// or https://'} URL`,
  );
};

const IsEventList = () =>
  envRule(
    'eventList',
    (raw) => EVENT_LIST.test(raw),
    (variable, raw) =>
      `${variable} must be a comma-separated list of event names such as auth.refresh.reuse_detected (got "${raw}")`,
  );

export class SecurityWebhookEnv {
  @IsWebhookUrl()
  SECURITY_WEBHOOK_URL?: string;

  @IsSecret()
  SECURITY_WEBHOOK_SECRET?: string;

  @IsEventList()
  SECURITY_WEBHOOK_EVENTS?: string;
}

export function securityWebhookSettings(env: SecurityWebhookEnv): SecurityWebhookSettings {
  return {
    url: env.SECURITY_WEBHOOK_URL,
    secret: env.SECURITY_WEBHOOK_SECRET,
    events:
      env.SECURITY_WEBHOOK_EVENTS?.split(',').map((name) => name.trim()) ?? DEFAULT_WEBHOOK_EVENTS,
  };
}
