import { PageQueryDto } from '../../common/validation/page-query.dto.js';
import { IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Role } from '../../common/role.enum.js';

export class ListUsersQueryDto extends PageQueryDto {
  /** Case-insensitive substring of the email or username. */
  @IsOptional()
  @IsString()
  @MaxLength(254)
  search?: string;

  @IsOptional()
  @IsEnum(Role)
  role?: Role;
}
