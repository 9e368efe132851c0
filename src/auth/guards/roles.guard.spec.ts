import { ForbiddenException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { Roles } from '../../common/decorators/roles.decorator.js';
import { Role } from '../../common/role.enum.js';
import { caught, httpContext, newPrincipal } from '../../../test/support/unit.js';
import { RolesGuard } from './roles.guard.js';

class ProfileController {
  show() {}

  @Roles(Role.Admin)
  audit() {}
}

@Roles(Role.Admin)
class AdminController {
  list() {}
}

describe(RolesGuard.name, () => {
  const sut = new RolesGuard(new Reflector());
  const user = newPrincipal({ roles: [Role.User] });
  const admin = newPrincipal({ roles: [Role.User, Role.Admin] });

  it('lets any caller through a handler that names no role', () => {
    const context = httpContext({
      controller: ProfileController,
      handler: 'show',
      request: { user },
    });

    expect(sut.canActivate(context)).toBe(true);
  });

  it.each([
    ['handler', ProfileController, 'audit'],
    ['controller', AdminController, 'list'],
  ] as const)(
    'refuses a caller without the role the %s requires with 403',
    async (_, controller, handler) => {
      const context = httpContext({ controller, handler, request: { user } });

      const error = await caught(() => sut.canActivate(context));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect((error as ForbiddenException).message).toBe('Requires role: admin');
    },
  );

  it.each([
    ['handler', ProfileController, 'audit'],
    ['controller', AdminController, 'list'],
  ] as const)('lets a caller with the role the %s requires through', (_, controller, handler) => {
    const context = httpContext({ controller, handler, request: { user: admin } });

    expect(sut.canActivate(context)).toBe(true);
  });

  it('refuses with 403 when no principal reached it', () => {
    const context = httpContext({ controller: AdminController, handler: 'list' });

    expect(() => sut.canActivate(context)).toThrow(ForbiddenException);
  });
});
