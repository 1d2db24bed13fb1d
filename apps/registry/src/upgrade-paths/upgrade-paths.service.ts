import { Injectable } from '@nestjs/common';
import { availableDowngrades, availableUpgrades, findUpgradePath } from '@upshift/domain';
import type { AvailableTarget, CatalogVersion } from '@upshift/domain';
import { ResourceNotFoundError } from '../common/registry-errors';
import { ComponentCatalogCache } from './component-catalog-cache';
import { AvailableTargetsQuery, ValidateUpgradePathRequest } from './dto/upgrade-path.requests';
import { AvailableTargetView, UpgradePathValidationView } from './dto/upgrade-path.views';

/**
 * Serves libs/domain's path search over a component's catalog. This service only loads the catalog
 * and resolves ids; every rule (major hops, waypoints, yanked targets, dependencies) is the domain's.
 */
@Injectable()
export class UpgradePathsService {
  constructor(private readonly catalogs: ComponentCatalogCache) {}

  /**
   * The caller's channel defaults to the channel of the version the instances run now (ADR 0035):
   * a stable fleet asked to move to a beta release gets a CHANNEL_MISMATCH warning.
   * `installedComponents` absent means nothing is installed, so a target with dependencies reports
   * them as DEPENDENCY_MISSING rather than silently skipping the check.
   */
  async validate(
    componentId: string,
    request: ValidateUpgradePathRequest,
  ): Promise<UpgradePathValidationView> {
    const catalog = await this.catalogOf(componentId);
    const from = findIn(catalog, componentId, request.fromVersionId);
    const to = findIn(catalog, componentId, request.toVersionId);
    const result = findUpgradePath({
      from,
      to,
      versions: catalog,
      installedComponents: request.installedComponents ?? {},
      channel: request.channel ?? from.channel,
    });
    return { valid: result.valid, path: result.path, blockers: result.blockers, warnings: result.warnings };
  }

  async upgrades(
    componentId: string,
    versionId: string,
    query: AvailableTargetsQuery,
  ): Promise<AvailableTargetView[]> {
    const catalog = await this.catalogOf(componentId);
    const from = findIn(catalog, componentId, versionId);
    return availableUpgrades(from, catalog, query.channel ?? from.channel).map(toView);
  }

  /** All channels unless one is asked for: a rollback target is usually a release the fleet already ran. */
  async downgrades(
    componentId: string,
    versionId: string,
    query: AvailableTargetsQuery,
  ): Promise<AvailableTargetView[]> {
    const catalog = await this.catalogOf(componentId);
    const from = findIn(catalog, componentId, versionId);
    return availableDowngrades(from, catalog, query.channel).map(toView);
  }

  private async catalogOf(componentId: string): Promise<CatalogVersion[]> {
    const catalog = await this.catalogs.catalogOf(componentId);
    if (catalog === null) {
      throw new ResourceNotFoundError('component', componentId, `Component ${componentId} does not exist.`);
    }
    return catalog;
  }
}

/**
 * The domain labels a non-direct target ("requires upgrade to 2.x first", ADR 0004's wording);
 * the API also gives the bare stop ("2.x", or a mandatory release "2.0.0") as `requiredIntermediate`
 * (ADR 0035).
 */
const REQUIRED_STOP = /(?:upgrade|downgrade) to (\S+) first/;

function toView(target: AvailableTarget): AvailableTargetView {
  const reason = target.requiredIntermediate;
  return {
    versionId: target.versionId,
    version: target.version,
    channel: target.channel,
    status: target.status,
    directTarget: target.directTarget,
    requiredIntermediate: reason === null ? null : (REQUIRED_STOP.exec(reason)?.[1] ?? reason),
    reason,
  };
}

function findIn(catalog: CatalogVersion[], componentId: string, versionId: string): CatalogVersion {
  const version = catalog.find((candidate) => candidate.id === versionId);
  if (version === undefined) {
    throw new ResourceNotFoundError(
      'version',
      versionId,
      `Version ${versionId} does not exist in component ${componentId}.`,
    );
  }
  return version;
}
