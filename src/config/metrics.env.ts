import { envRule, isStrongSecret, IsWholeNumber, MIN_SECRET_BYTES } from './env.js';

/** `/metrics` is served only to `token` on the main port, or on its own listener at `host:port`. */
export interface MetricsSettings {
  /** Bearer secret for `/metrics` on the main port; `undefined` means the main port does not serve it. */
  token: string | undefined;
  /** Port of the separate metrics listener; `undefined` means no listener. */
  port: number | undefined;
  host: string;
}

// Scrapers send it as `Authorization: Bearer <token>`: one header token, no spaces.
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

/** A secret that can travel as a bearer token. The problem never repeats the value. */
const IsBearerSecret = () =>
  envRule(
    'bearerSecret',
    (raw) => isStrongSecret(raw) && HEADER_TOKEN.test(raw),
    (variable, raw) =>
      isStrongSecret(raw)
        ? `${variable} must be printable ASCII without spaces`
        : `${variable} must be at least ${MIN_SECRET_BYTES} bytes of random data`,
  );

/** Metrics are off unless asked for: a bearer secret for the main port, or a listener of their own. */
export class MetricsEnv {
  @IsBearerSecret()
  METRICS_TOKEN?: string;

  @IsWholeNumber(1, 65535)
  METRICS_PORT?: string;

  /** Loopback unless told otherwise: the listener trusts its network. */
  METRICS_HOST?: string;
}

export function metricsSettings(env: MetricsEnv): MetricsSettings {
  return {
    token: env.METRICS_TOKEN,
    port: env.METRICS_PORT === undefined ? undefined : Number(env.METRICS_PORT),
    host: env.METRICS_HOST ?? '127.0.0.1',
  };
}
