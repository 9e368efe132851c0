import { durationSeconds, envRule, IsDuration, IsSecret } from './env.js';

export type JwtAlgorithm = 'RS256' | 'ES256' | 'HS256';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'HS256'];

export interface AuthSettings {
  algorithm: JwtAlgorithm;
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshIdleTtl: number;
  /** How long a browser's sign-in on the hosted page lasts (the SSO session). */
  ssoSessionTtl: number;
  keyEncryptionSecret: string | undefined;
  /** Signing key for HS256 (also encrypted at rest like the asymmetric ones). */
  hmacSecret: string | undefined;
}

const IsJwtAlgorithm = () =>
  envRule(
    'jwtAlgorithm',
    (raw) => JWT_ALGORITHMS.includes(raw.toUpperCase() as JwtAlgorithm),
    (variable, raw) =>
      `${variable} must be one of ${JWT_ALGORITHMS.join(', ')} (got "${raw.toUpperCase()}")`,
  );

/**
 * The `iss` of every token and the public base URL in the discovery
 * document. Other services compare it byte for byte, so in production it
 * must be the https:// URL they reach this server at (and it must be given:
 * see the rules across sections); http:// is for development.
 */
const IsIssuer = () => {
  const production = (env: object) => (env as Record<string, unknown>).NODE_ENV === 'production';
  return envRule(
    'issuer',
    (raw, { object }) => {
      const protocols = production(object) ? ['https:'] : ['https:', 'http:'];
      const url = URL.canParse(raw) ? new URL(raw) : undefined;
      return !!url && protocols.includes(url.protocol) && !url.search && !url.hash;
    },
    (variable, raw, { object }) =>
      `${variable} must be an ${production(object) ? 'https://' : 'http:// or https://'} URL without query or fragment (got "${raw}")`,
  );
};

/** Tokens: how they are signed, whom they name, how long they live. */
export class AuthEnv {
  @IsJwtAlgorithm()
  JWT_ALGORITHM?: string;

  @IsIssuer()
  JWT_ISSUER?: string;

  JWT_AUDIENCE?: string;

  /** HMAC secret, for HS256 only. */
  @IsSecret()
  JWT_SECRET?: string;

  @IsDuration(24 * 3600)
  ACCESS_TOKEN_TTL?: string;

  @IsDuration(365 * 86400)
  REFRESH_TOKEN_TTL?: string;

  @IsDuration(365 * 86400)
  REFRESH_IDLE_TTL?: string;

  @IsDuration(30 * 86400)
  SSO_SESSION_TTL?: string;

  /** Seals signing keys at rest and keys device tokens. */
  @IsSecret()
  KEY_ENCRYPTION_SECRET?: string;
}

/** `defaultIssuer`: the development default, for the port the server listens on. */
export function authSettings(env: AuthEnv, defaultIssuer: string): AuthSettings {
  const issuer = env.JWT_ISSUER ?? defaultIssuer;
  return {
    algorithm: (env.JWT_ALGORITHM ?? 'RS256').toUpperCase() as JwtAlgorithm,
    issuer,
    audience: env.JWT_AUDIENCE ?? issuer,
    accessTokenTtl: durationSeconds(env.ACCESS_TOKEN_TTL, 15 * 60),
    refreshTokenTtl: durationSeconds(env.REFRESH_TOKEN_TTL, 30 * 86400),
    refreshIdleTtl: durationSeconds(env.REFRESH_IDLE_TTL, 7 * 86400),
    ssoSessionTtl: durationSeconds(env.SSO_SESSION_TTL, 10 * 3600),
    keyEncryptionSecret: env.KEY_ENCRYPTION_SECRET,
    hmacSecret: env.JWT_SECRET,
  };
}
