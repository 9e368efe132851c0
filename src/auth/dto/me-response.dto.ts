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
