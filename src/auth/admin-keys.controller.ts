import { Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { Role } from '../common/role.enum.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
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
  async rotate(): Promise<RotatedKeyResponseDto> {
    return { kid: await this.keys.rotate() };
  }
}
