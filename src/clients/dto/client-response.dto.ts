import { Role } from '../../common/role.enum.js';
import type { OAuthClient } from '../entities/oauth-client.entity.js';

export class ClientResponseDto {
  /** @example svc_3qH6F0bq9Zk2mB1x */
  client_id: string;
  name: string;
  roles: Role[];
  disabled: boolean;
  createdAt: Date;
}

export class CreatedClientResponseDto extends ClientResponseDto {
  /** Shown once, now; only a hash is stored. */
  client_secret: string;
}

export function toClientResponse(client: OAuthClient): ClientResponseDto {
  return {
    client_id: client.clientId,
    name: client.name,
    roles: client.roles,
    disabled: client.disabled,
    createdAt: client.createdAt,
  };
}
