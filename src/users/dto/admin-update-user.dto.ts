import { IsBoolean } from 'class-validator';
import { Role } from '../../common/role.enum.js';
import { IsOmittable, IsRoleList } from '../../common/validation/fields.js';

export class AdminUpdateUserDto {
  /** Replaces the user's roles. Every user keeps the `user` role. */
  @IsOmittable()
  @IsRoleList()
  roles?: Role[];

  /** A disabled user cannot log in and their tokens stop working. */
  @IsOmittable()
  @IsBoolean()
  disabled?: boolean;
}
