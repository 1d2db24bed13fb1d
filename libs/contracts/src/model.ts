/**
 * The enums-and-types entry of the contracts, `@upshift/contracts/model`: enums, constants and
 * TypeScript types only. The full entry (`@upshift/contracts`) also loads class-validator,
 * class-transformer, @nestjs/swagger and the TypeBox schemas; the pure domain (libs/domain) imports this
 * one so that loading it loads none of those. Everything here is re-exported by the full entry too.
 */
export * from './enums';
export * from './topics';
export type { ComponentSummary, VersionSummary } from './views/catalog-views';
export type {
  ExecutionStatistics,
  RollbackInfo,
  UpgradeExecutionView,
  UpgradeInstanceView,
  ValidationResultView,
} from './views/execution-views';
