import { IsBoolean } from 'class-validator';
import { Role } from '../../common/role.enum.js';
import { IsNormalizedEmail, IsOmittable, IsRoleList } from '../../common/validation/fields.js';

export class AdminUpdateUserDto {
  /** Replaces the user's roles. Every user keeps the `user` role. */
  @IsOmittable()
  @IsRoleList()
  roles?: Role[];

  /** A disabled user cannot log in and their tokens stop working. */
  @IsOmittable()
  @IsBoolean()
  disabled?: boolean;

  /** A new address. It is unverified unless `emailVerified: true` comes with it. */
  @IsOmittable()
  @IsNormalizedEmail()
  email?: string;

  /** Marks the address verified (`true`) or not (`false`). */
  @IsOmittable()
  @IsBoolean()
  emailVerified?: boolean;
}
