import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { Role } from '../common/role.enum.js';
import { AuditTrailService } from './audit-trail.service.js';
import { AuditEventPageDto, toAuditEventResponse } from './dto/audit-event-response.dto.js';
import { ListAuditEventsQueryDto, toAuditFilter } from './dto/list-audit-events-query.dto.js';

@ApiTags('admin')
@Roles(Role.Admin)
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly auditTrail: AuditTrailService) {}

  @Get()
  @ApiOperation({
    summary: 'The audit trail, newest first: paged, filtered by subject, actor, action and time',
  })
  async list(@Query() query: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
    const [rows, total] = await this.auditTrail.list(toAuditFilter(query), query.page, query.limit);
    return { items: rows.map(toAuditEventResponse), total, page: query.page, limit: query.limit };
  }
}
