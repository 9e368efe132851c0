import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import type { Principal } from '../tokens/access-token.claims.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { toUserResponse, UserResponseDto } from './dto/user-response.dto.js';
import { UserAccountService } from './user-account.service.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly account: UserAccountService,
  ) {}

  @Get('me')
  @ApiOperation({ summary: "The caller's profile, read from the database" })
  async me(@CurrentUser() principal: Principal): Promise<UserResponseDto> {
    return toUserResponse(await this.users.getById(principal.subject));
  }

  @Patch('me')
  @ApiOperation({ summary: "Update the caller's own non-sensitive fields" })
  async update(
    @CurrentUser() principal: Principal,
    @Body() dto: UpdateProfileDto,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.users.updateProfile(principal.subject, dto));
  }

  @Post('me/password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the password; every other session of the caller is signed out' })
  @ApiNoContentResponse({ description: 'Password changed' })
  async changePassword(
    @CurrentUser() principal: Principal,
    @Body() dto: ChangePasswordDto,
  ): Promise<void> {
    await this.account.changePassword(principal, dto);
  }
}
