import type { Principal } from '../../common/principal.js';
import { Role } from '../../common/role.enum.js';

/** The verified access token's claims, as the server read them. */
export class MeResponseDto {
  sub: string;
  roles: Role[];
  sid: string | null;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  client_id?: string;
}

/** The claims as the token carried them (no database access). */
export function toMeResponse({ claims }: Principal): MeResponseDto {
  return {
    sub: claims.sub,
    roles: claims.roles,
    sid: claims.sid ?? null,
    jti: claims.jti,
    iat: claims.iat,
    exp: claims.exp,
    iss: claims.iss,
    aud: claims.aud,
    ...(claims.client_id ? { client_id: claims.client_id } : {}),
  };
}
