import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { Role } from '../../common/role.enum.js';
import { IsOmittable, IsRoleList } from '../../common/validation/fields.js';

export class CreateClientDto {
  /** What the service is. @example billing-service */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name: string;

  /** Roles carried by the client's tokens (none by default). */
  @IsOmittable()
  @IsRoleList()
  roles?: Role[];
}
