import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { Role } from '../../common/role.enum.js';

export class AdminUpdateUserDto {
  /** Replaces the user's roles. Every user keeps the `user` role. */
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(10)
  @IsEnum(Role, { each: true })
  roles?: Role[];

  /** A disabled user cannot log in and their tokens stop working. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
