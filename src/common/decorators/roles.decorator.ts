import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse } from '@nestjs/swagger';
import type { Role } from '../role.enum.js';

export const ROLES_KEY = 'auth:roles';

/** Requires every listed role; documents the Bearer requirement and the 403. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiForbiddenResponse({ description: `Requires role: ${roles.join(', ')}` }),
  );
