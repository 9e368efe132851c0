import { ConflictException, Controller, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { Role } from '../common/role.enum.js';
import { KeyRotationRefusedError, SigningKeysService } from '../tokens/signing-keys.service.js';
import { RotatedKeyResponseDto } from './dto/rotated-key-response.dto.js';

@ApiTags('admin')
@Roles(Role.Admin)
@Controller('admin/keys')
export class AdminKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Post('rotate')
  @ApiOperation({
    summary: 'Make a new signing key active; earlier keys keep verifying until their tokens expire',
  })
  @ApiCreatedResponse({ type: RotatedKeyResponseDto })
  @ApiConflictResponse({
    description: 'HS256 with a configured JWT_SECRET: rotate by changing the secret',
  })
  async rotate(): Promise<RotatedKeyResponseDto> {
    try {
      return { kid: await this.keys.rotate() };
    } catch (error) {
      if (error instanceof KeyRotationRefusedError) throw new ConflictException(error.message);
      throw error;
    }
  }
}
