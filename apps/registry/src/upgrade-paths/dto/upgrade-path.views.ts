import { ApiProperty } from '@nestjs/swagger';
import { VersionChannel, VersionStatus } from '@upshift/contracts';

export class PathStepView {
  @ApiProperty({ format: 'uuid' }) versionId!: string;
  @ApiProperty({ example: '2.0.0' }) version!: string;
}

export class PathFindingView {
  @ApiProperty({ example: 'REQUIRES_INTERMEDIATE' }) code!: string;
  @ApiProperty({
    example: 'Upgrading from 1.4.0 to 3.0.0 crosses more than one major version; upgrade to 2.x first',
  })
  message!: string;
}

export class UpgradePathValidationView {
  @ApiProperty({
    description: 'True only when the target is a permitted direct target and nothing blocks it',
  })
  valid!: boolean;

  @ApiProperty({
    type: PathStepView,
    isArray: true,
    description: 'The suggested route, from (exclusive) to target',
  })
  path!: PathStepView[];

  @ApiProperty({ type: PathFindingView, isArray: true })
  blockers!: PathFindingView[];

  @ApiProperty({ type: PathFindingView, isArray: true })
  warnings!: PathFindingView[];
}

export class AvailableTargetView {
  @ApiProperty({ format: 'uuid' }) versionId!: string;
  @ApiProperty({ example: '3.0.0' }) version!: string;
  @ApiProperty({ enum: VersionChannel }) channel!: VersionChannel;
  @ApiProperty({ enum: [VersionStatus.PUBLISHED, VersionStatus.DEPRECATED] }) status!: VersionStatus;
  @ApiProperty({ description: 'Reachable in one step from the current version' }) directTarget!: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2.x',
    description:
      'What to go through first: a major line ("2.x") or a mandatory release ("2.0.0"); null when direct',
  })
  requiredIntermediate!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'requires upgrade to 2.x first',
    description: 'The same, as a label',
  })
  reason!: string | null;
}
