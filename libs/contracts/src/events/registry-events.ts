import { Type } from '@sinclair/typebox';
import type { Static, TLiteral, TObject, TProperties } from '@sinclair/typebox';
import { VersionChannel } from '../enums';
import { Nullable, StringEnum, TenantId, Uuid } from '../schema-kit';

/** `registry.events`, key componentId (version events) or instanceId (inventory events). */
function registryEvent<K extends string, P extends TProperties>(
  kind: K,
  properties: P,
  description: string,
): TObject<{ kind: TLiteral<K> } & P> {
  return Type.Object({ kind: Type.Literal(kind), ...properties }, { $id: kind, title: kind, description });
}

const versionFields = {
  componentId: Uuid(),
  componentName: Type.String(),
  versionId: Uuid(),
  version: Type.String({ description: 'Semver' }),
  channel: StringEnum(VersionChannel),
};

export const VersionPublishedSchema = registryEvent(
  'VersionPublished',
  {
    ...versionFields,
    mandatory: Type.Boolean(),
    breaking: Type.Boolean(),
    signed: Type.Boolean(),
  },
  'A draft version became published: a possible upgrade target from now on',
);

export const VersionDeprecatedSchema = registryEvent(
  'VersionDeprecated',
  versionFields,
  'A published version was deprecated: still a target, no longer recommended',
);

export const VersionYankedSchema = registryEvent(
  'VersionYanked',
  { ...versionFields, reason: Nullable(Type.String()) },
  'A version was yanked: never a target again',
);

export const InstanceRegisteredSchema = registryEvent(
  'InstanceRegistered',
  {
    tenantId: TenantId(),
    instanceId: Uuid(),
    componentId: Uuid(),
    versionId: Uuid(),
    version: Type.String(),
    name: Type.String(),
    agentUrl: Type.String({ format: 'uri' }),
  },
  "An instance was registered (or re-registered) in a tenant's inventory",
);

export const REGISTRY_EVENT_SCHEMAS = [
  VersionPublishedSchema,
  VersionDeprecatedSchema,
  VersionYankedSchema,
  InstanceRegisteredSchema,
] as const;

export const RegistryEventSchema = Type.Union([...REGISTRY_EVENT_SCHEMAS], {
  $id: 'RegistryEvent',
  title: 'RegistryEvent',
});

export type VersionPublished = Static<typeof VersionPublishedSchema>;
export type VersionDeprecated = Static<typeof VersionDeprecatedSchema>;
export type VersionYanked = Static<typeof VersionYankedSchema>;
export type InstanceRegistered = Static<typeof InstanceRegisteredSchema>;
export type RegistryEvent = Static<typeof RegistryEventSchema>;
export type RegistryEventKind = RegistryEvent['kind'];
