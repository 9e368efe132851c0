import { Role } from '../../common/role.enum.js';
import type { User } from '../entities/user.entity.js';

export class UserResponseDto {
  /** @example 9b2f6a36-8c1e-4f0a-9d1e-2f5b7c3a1d4e */
  id: string;
  /** @example ada@example.com */
  email: string;
  /** @example ada */
  username: string;
  /** Whether the user proved they receive mail at `email`. */
  emailVerified: boolean;
  emailVerifiedAt: Date | null;
  displayName: string | null;
  roles: Role[];
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

/** Field by field: a new column never reaches the wire by accident. */
export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    emailVerified: user.emailVerifiedAt !== null,
    emailVerifiedAt: user.emailVerifiedAt,
    displayName: user.displayName,
    roles: user.roles,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    lastLoginAt: user.lastLoginAt,
  };
}

export class UserPageDto {
  items: UserResponseDto[];
  /** Matching users over all pages. */
  total: number;
  page: number;
  limit: number;
}
