import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import type { Principal } from '../common/principal.js';
import { ConsentsService } from './consents.service.js';
import { ConsentResponseDto } from './dto/consent-response.dto.js';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth/consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Get()
  @ApiOperation({ summary: 'The apps the caller allowed, and their scopes' })
  list(@CurrentPrincipal() principal: Principal): Promise<ConsentResponseDto[]> {
    return this.consents.list(principal.subject);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({
    summary: "Withdraw a consent: the app asks again, and the caller's sessions with it end",
  })
  @ApiNoContentResponse({ description: 'Withdrawn' })
  @ApiNotFoundResponse({ description: 'The caller has no consent for this app' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('clientId') clientId: string,
  ): Promise<void> {
    await this.consents.revoke(principal.subject, clientId);
  }
}
