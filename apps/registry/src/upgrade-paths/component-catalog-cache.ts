import { Injectable } from '@nestjs/common';
import type { CatalogVersion } from '@upshift/domain';
import { VersionsRepository } from '../versions/versions.repository';

interface CachedCatalog {
  revision: string;
  catalog: CatalogVersion[];
}

/** Components whose catalogs stay in memory; the least recently loaded goes first beyond this. */
const MAX_COMPONENTS = 500;

/**
 * Each component's catalog as the path search reads it, kept in memory per replica (ADR 0036).
 * Every use checks the component's `catalog_revision` (one indexed read; a trigger bumps it on any
 * version change), so a replica never serves a catalog older than the last committed change.
 * The revision is read before the catalog: a change racing the load can only make the cached copy
 * newer than its revision, which costs one extra reload, never a stale answer.
 */
@Injectable()
export class ComponentCatalogCache {
  private readonly entries = new Map<string, CachedCatalog>();
  private readonly loading = new Map<string, Promise<CatalogVersion[]>>();

  constructor(private readonly versions: VersionsRepository) {}

  /** The catalog in semver order, or null when the component does not exist. */
  async catalogOf(componentId: string): Promise<CatalogVersion[] | null> {
    const revision = await this.versions.catalogRevision(componentId);
    if (revision === null) {
      this.entries.delete(componentId);
      return null;
    }
    const cached = this.entries.get(componentId);
    if (cached?.revision === revision) return cached.catalog;
    return this.load(componentId, revision);
  }

  private load(componentId: string, revision: string): Promise<CatalogVersion[]> {
    const key = `${componentId}@${revision}`;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const loaded = this.versions
      .catalogOf(componentId)
      .then((catalog) => {
        this.entries.delete(componentId);
        this.entries.set(componentId, { revision, catalog });
        if (this.entries.size > MAX_COMPONENTS) {
          const oldest = this.entries.keys().next().value;
          if (oldest !== undefined) this.entries.delete(oldest);
        }
        return catalog;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, loaded);
    return loaded;
  }
}
