import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator.js';
import {
  ForgotPasswordDto,
  RESET_REQUESTED,
  ResetPasswordDto,
  ResetRequestedDto,
} from './dto/password-reset.dto.js';
import { MailIpLimit } from './mail-limits.js';
import { PasswordResetRequests } from './password-reset-requests.js';
import { PasswordResetService } from './password-reset.service.js';

/** Forgotten passwords: ask for a reset link by mail, then set a new password with its token. */
@ApiTags('account')
@Public()
@Controller('auth/password')
export class PasswordResetController {
  constructor(
    private readonly requests: PasswordResetRequests,
    private readonly resets: PasswordResetService,
  ) {}

  @Post('forgot')
  @HttpCode(202)
  @MailIpLimit()
  @ApiOperation({
    summary:
      'Mail a password reset link to the account with this address; the same answer whether or not one exists',
  })
  @ApiAcceptedResponse({ type: ResetRequestedDto })
  @ApiTooManyRequestsResponse({ description: 'Too many mail requests from this IP' })
  async forgot(@Body() dto: ForgotPasswordDto): Promise<ResetRequestedDto> {
    await this.requests.request(dto.email);
    return RESET_REQUESTED;
  }

  @Post('reset')
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Set a new password with a reset link's token; every session and SSO session of the account ends",
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiBadRequestResponse({ description: 'Invalid, used or expired token, or a refused password' })
  async reset(@Body() dto: ResetPasswordDto): Promise<void> {
    await this.resets.reset(dto.token, dto.password);
  }
}
