import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import type { Principal } from '../common/principal.js';
import { AuditTrailService } from './audit-trail.service.js';
import { ActivityQueryDto } from './dto/activity-query.dto.js';
import { ActivityResponseDto, toActivityResponse } from './dto/activity-response.dto.js';

@ApiTags('auth')
@Controller('auth')
export class ActivityController {
  constructor(private readonly auditTrail: AuditTrailService) {}

  @ApiBearerAuth()
  @Get('activity')
  @ApiOperation({
    summary:
      "The caller's recent security events: sign-ins (with IP and user agent), password changes, sessions ended",
  })
  async activity(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ActivityQueryDto,
  ): Promise<ActivityResponseDto[]> {
    const rows = await this.auditTrail.activityOf(principal.userId!, query.limit);
    return rows.map(toActivityResponse);
  }
}
