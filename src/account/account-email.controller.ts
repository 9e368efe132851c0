import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { DEVICE_HEADER, presentedDeviceTokens } from '../common/device-cookie.js';
import type { Principal } from '../common/principal.js';
import { AccountTokenDto } from './dto/account-token.dto.js';
import { ChangeEmailDto } from './dto/change-email.dto.js';
import { EmailChangeService } from './email-change.service.js';
import { EmailVerificationService } from './email-verification.service.js';
import { MailIpLimit } from './mail-limits.js';

/** The API of the account's address: verify it, ask for a new link, change it, report a change. */
@ApiTags('account')
@Controller()
export class AccountEmailController {
  constructor(
    private readonly verification: EmailVerificationService,
    private readonly change: EmailChangeService,
  ) {}

  @Post('auth/email/verify')
  @Public()
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Confirm an address with the token from a mail: a verification link, or the confirmation of an e-mail change',
  })
  @ApiNoContentResponse({ description: 'The address is verified (or the new address in effect)' })
  @ApiBadRequestResponse({ description: 'Invalid, expired, used or superseded token' })
  @ApiConflictResponse({ description: 'The new address was taken by another account meanwhile' })
  async verify(@Body() dto: AccountTokenDto): Promise<void> {
    await this.verification.confirm(dto.token);
  }

  @Post('auth/email/verification')
  @HttpCode(202)
  @MailIpLimit()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Mail the caller a new verification link; older links stop working' })
  @ApiAcceptedResponse({ description: 'Queued (within the per-address mail allowance)' })
  @ApiConflictResponse({ description: 'The address is already verified' })
  @ApiTooManyRequestsResponse({ description: 'THROTTLE_MAIL_IP' })
  async resend(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.verification.resend(principal.subject);
  }

  @Post('users/me/email')
  @HttpCode(202)
  @MailIpLimit()
  @ApiBearerAuth()
  @ApiHeader({
    name: DEVICE_HEADER,
    required: false,
    description: 'A device token from an earlier sign-in: wrong passwords count against it',
  })
  @ApiOperation({
    summary:
      'Change the address: a confirmation link goes to the new one, a notice to the old one; nothing changes until confirmed',
  })
  @ApiAcceptedResponse({ description: 'The same answer whether or not the new address is taken' })
  @ApiBadRequestResponse({ description: 'Wrong password, or the current address' })
  @ApiUnauthorizedResponse({ description: 'Too many wrong passwords: the session has ended' })
  @ApiTooManyRequestsResponse({ description: 'THROTTLE_MAIL_IP, or password checks locked' })
  async changeEmail(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangeEmailDto,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.change.request(principal, dto, presentedDeviceTokens(request));
  }

  @Post('auth/email/change/report')
  @Public()
  @HttpCode(204)
  @ApiOperation({
    summary:
      'The report link mailed to the old address: cancels a pending change and records email.change_reported',
  })
  @ApiNoContentResponse({ description: 'Reported' })
  @ApiBadRequestResponse({ description: 'Invalid, expired or used token' })
  async report(@Body() dto: AccountTokenDto): Promise<void> {
    await this.change.report(dto.token);
  }
}
