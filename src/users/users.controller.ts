import { Body, Controller, Get, HttpCode, Patch, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import { DEVICE_HEADER, presentedDeviceTokens } from '../common/device-cookie.js';
import type { Principal } from '../common/principal.js';
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
  async me(@CurrentPrincipal() principal: Principal): Promise<UserResponseDto> {
    return toUserResponse(await this.users.getById(principal.subject));
  }

  @Patch('me')
  @ApiOperation({ summary: "Update the caller's own non-sensitive fields" })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateProfileDto,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.users.updateProfile(principal.subject, dto));
  }

  @Post('me/password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the password; every other session of the caller is signed out' })
  @ApiHeader({
    name: DEVICE_HEADER,
    required: false,
    description:
      'A device token from an earlier sign-in: wrong passwords count against its allowance',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiBadRequestResponse({ description: 'Wrong current password, or a refused new one' })
  @ApiUnauthorizedResponse({
    description: 'Too many wrong current passwords: the session has been signed out',
  })
  @ApiTooManyRequestsResponse({ description: 'Password checks for this account are locked' })
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.account.changePassword(principal, dto, presentedDeviceTokens(request));
  }
}
