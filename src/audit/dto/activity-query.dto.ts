import { PickType } from '@nestjs/swagger';
import { PageQueryDto } from '../../common/validation/page-query.dto.js';

/** How many of the latest events (`limit`, at most 100), validated as every paged list's. */
export class ActivityQueryDto extends PickType(PageQueryDto, ['limit'] as const) {}
