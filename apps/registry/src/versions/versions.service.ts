import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { VersionChannel, VersionStatus } from '@upshift/contracts';
import type { RegistryEvent, VersionAction } from '@upshift/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { ComponentEntity } from '../components/component.entity';
import { ComponentsService } from '../components/components.service';
import { type Page, pageOf } from '../common/paging';
import {
  InvalidStatusTransitionError,
  ResourceNotFoundError,
  SignatureRejectedError,
} from '../common/registry-errors';
import { RegistryEventOutbox } from '../events/registry-event-outbox';
import { findVerifyingKey } from '@upshift/signing';
import { SigningKeysRepository } from '../signing-keys/signing-keys.repository';
import { CreateVersionRequest } from './dto/create-version.request';
import { ListVersionsQuery } from './dto/version-queries';
import { VersionView } from './dto/version.view';
import { parseReleaseVersion } from './release-version';
import { VersionEntity } from './version.entity';
import { transitionVersion } from './version-lifecycle';
import { VersionsRepository } from './versions.repository';

@Injectable()
export class VersionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly components: ComponentsService,
    private readonly versions: VersionsRepository,
    private readonly signingKeys: SigningKeysRepository,
    private readonly events: RegistryEventOutbox,
  ) {}

  /** Creates a draft; nothing can target it until it is published. */
  async create(componentId: string, request: CreateVersionRequest): Promise<VersionView> {
    await this.components.require(componentId);
    const parsed = parseReleaseVersion(request.version);
    // The DTO already refused unparseable versions; this narrows the type.
    if ('problem' in parsed) throw new Error(parsed.problem);
    const entity = await this.versions.insert({
      componentId,
      ...parsed,
      channel: request.channel ?? VersionChannel.STABLE,
      status: VersionStatus.DRAFT,
      artifactUrl: request.artifact.url,
      artifactSha256: request.artifact.sha256,
      artifactSignature: request.artifact.signature ?? null,
      signed: false,
      signingKeyId: null,
      breaking: request.breaking ?? false,
      requiresMigration: request.requiresMigration ?? false,
      mandatory: request.mandatory ?? false,
      downgradeAllowed: request.downgradeAllowed ?? true,
      dependencies: request.dependencies ?? {},
      releaseNotes: request.releaseNotes ?? '',
      supportedUntil: request.supportedUntil ?? null,
      publishedAt: null,
      deprecatedAt: null,
      yankedAt: null,
      yankReason: null,
    });
    return VersionView.of(entity, await this.signingKeys.hasKeys(componentId));
  }

  async list(componentId: string, query: ListVersionsQuery): Promise<Page<VersionView>> {
    await this.components.require(componentId);
    const [page, signatureRequired] = await Promise.all([
      this.versions.findPageByComponent(componentId, query),
      this.signingKeys.hasKeys(componentId),
    ]);
    return pageOf(page, (entity) => VersionView.of(entity, signatureRequired));
  }

  async get(componentId: string, versionId: string): Promise<VersionView> {
    const entity = await this.require(componentId, versionId);
    return VersionView.of(entity, await this.signingKeys.hasKeys(componentId));
  }

  /** The version if it belongs to the component; a 404 naming the component or the version otherwise. */
  async require(
    componentId: string,
    versionId: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<VersionEntity> {
    await this.components.require(componentId, manager);
    const entity = await this.versions.findInComponent(componentId, versionId, manager, lock);
    if (entity === null) throw versionNotFound(componentId, versionId);
    return entity;
  }

  /**
   * `signature`, when given, replaces the draft's artifact signature before verification: a draft
   * created with a wrong or missing signature can still be published without burning its number.
   */
  publish(componentId: string, versionId: string, signature?: string | null): Promise<VersionView> {
    return this.transition(componentId, versionId, 'publish', async (manager, version, component) => {
      if (signature !== undefined && signature !== null) version.artifactSignature = signature;
      await this.verifySignature(manager, version, component);
      version.publishedAt = new Date();
      return {
        kind: 'VersionPublished',
        ...versionEventFields(component, version),
        mandatory: version.mandatory,
        breaking: version.breaking,
        signed: version.signed,
      };
    });
  }

  deprecate(componentId: string, versionId: string): Promise<VersionView> {
    return this.transition(componentId, versionId, 'deprecate', (_manager, version, component) => {
      version.deprecatedAt = new Date();
      return Promise.resolve({ kind: 'VersionDeprecated', ...versionEventFields(component, version) });
    });
  }

  yank(componentId: string, versionId: string, reason: string | null): Promise<VersionView> {
    return this.transition(componentId, versionId, 'yank', (_manager, version, component) => {
      version.yankedAt = new Date();
      version.yankReason = reason;
      return Promise.resolve({ kind: 'VersionYanked', ...versionEventFields(component, version), reason });
    });
  }

  /**
   * One status change: lock the row, check the lifecycle table, apply, write the event into the
   * outbox, commit. Anything thrown on the way rolls all of it back.
   */
  private async transition(
    componentId: string,
    versionId: string,
    action: VersionAction,
    apply: (
      manager: EntityManager,
      version: VersionEntity,
      component: ComponentEntity,
    ) => Promise<RegistryEvent>,
  ): Promise<VersionView> {
    return this.dataSource.transaction(async (manager) => {
      const component = await this.components.require(componentId, manager);
      const version = await this.versions.findInComponent(componentId, versionId, manager, true);
      if (version === null) throw versionNotFound(componentId, versionId);
      const result = transitionVersion(version.status, action);
      if (!result.ok) {
        const allowed =
          result.allowedActions.length > 0 ? result.allowedActions.join(', ') : 'none (it is final)';
        throw new InvalidStatusTransitionError(
          version.status,
          action,
          result.allowedActions,
          `Version ${version.version} is ${version.status}; it cannot be ${pastTense(action)}. Allowed operations: ${allowed}.`,
        );
      }
      const event = await apply(manager, version, component);
      version.status = result.to;
      const saved = await this.versions.save(manager, version);
      await this.events.enqueue(manager, [event]);
      return VersionView.of(saved, await this.signingKeys.hasKeys(component.id, manager));
    });
  }

  /**
   * With keys, the signature must verify against one of them (else 422, and the version stays a
   * draft because the transaction rolls back); without keys, the version is published unsigned.
   */
  private async verifySignature(manager: EntityManager, version: VersionEntity, component: ComponentEntity) {
    const keys = await this.signingKeys.findByComponent(component.id, manager);
    if (keys.length === 0) {
      version.signed = false;
      version.signingKeyId = null;
      return;
    }
    const key = findVerifyingKey(version.artifactSha256, version.artifactSignature, keys);
    if (key === null) {
      const why =
        version.artifactSignature === null
          ? 'the version has no artifact signature'
          : 'the artifact signature does not verify against any of its keys';
      throw new SignatureRejectedError(
        `Component ${component.name} has ${keys.length} signing key(s) and ${why}; version ${version.version} stays draft. ` +
          'Sign the 32 bytes of the SHA-256 digest with ed25519 (docs/signing.md) and publish again with {"signature": "<base64>"}.',
        keys.map((candidate) => candidate.fingerprint),
      );
    }
    version.signed = true;
    version.signingKeyId = key.id;
  }
}

function versionNotFound(componentId: string, versionId: string): ResourceNotFoundError {
  return new ResourceNotFoundError(
    'version',
    versionId,
    `Version ${versionId} does not exist in component ${componentId}.`,
  );
}

function versionEventFields(component: ComponentEntity, version: VersionEntity) {
  return {
    componentId: component.id,
    componentName: component.name,
    versionId: version.id,
    version: version.version,
    channel: version.channel,
  };
}

function pastTense(action: VersionAction): string {
  return { publish: 'published', deprecate: 'deprecated', yank: 'yanked' }[action];
}
