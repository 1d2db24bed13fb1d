import 'reflect-metadata';
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import { UpgradeStrategy } from '../enums';
import { canaryUpgradeExample } from '../examples/canary-upgrade.example';
import { CreateUpgradeRequest, validateCreateUpgradeRequest } from './create-upgrade-request.dto';
import { UPGRADE_REQUEST_DEFAULTS, withDefaults } from './upgrade-request-defaults';
import { flattenValidationErrors } from './validation-errors';

const ids = {
  componentId: '0b6f6d0e-6f3c-4f0f-9d3a-5b1d2b7c9a01',
  fromVersionId: '1c7a7e1f-7a4d-4a1a-8e4b-6c2e3c8dab02',
  toVersionId: '2d8b8f20-8b5e-4b2b-9f5c-7d3f4d9ebc03',
};

const expectedDefaults = {
  strategy: UpgradeStrategy.ROLLING,
  canaryPercentage: 10,
  batchSize: 5,
  batchDelaySeconds: 60,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  maxUnavailablePercentage: 25,
  totalInstances: 10,
  autoRollbackEnabled: false,
  failureThreshold: 3,
};

function fieldsOf(plain: unknown): string[] {
  const result = validateCreateUpgradeRequest(plain);
  if (!('errors' in result)) throw new Error(`expected errors, got ${JSON.stringify(result.value)}`);
  return result.errors.map((e) => e.field);
}

function messagesOf(plain: unknown): string[] {
  const result = validateCreateUpgradeRequest(plain);
  return 'errors' in result ? result.errors.map((e) => e.message) : [];
}

describe('CreateUpgradeRequest defaults', () => {
  it('are exactly the defaults of docs/api-contract.md', () => {
    expect(UPGRADE_REQUEST_DEFAULTS).toEqual(expectedDefaults);
  });

  it('fill every absent field through validateCreateUpgradeRequest', () => {
    expect(validateCreateUpgradeRequest(ids)).toEqual({
      value: { ...ids, ...expectedDefaults, initiatedBy: null, installedComponents: {} },
    });
  });

  it('treat null like an absent field', () => {
    const result = validateCreateUpgradeRequest({
      ...ids,
      batchSize: null,
      strategy: null,
      initiatedBy: null,
    });
    expect(result).toEqual({
      value: { ...ids, ...expectedDefaults, initiatedBy: null, installedComponents: {} },
    });
  });

  it('fill absent fields through withDefaults() and keep the given ones', () => {
    expect(
      withDefaults({ ...ids, batchSize: 2, strategy: UpgradeStrategy.CANARY, initiatedBy: 'ops' }),
    ).toEqual({
      ...ids,
      ...expectedDefaults,
      batchSize: 2,
      strategy: UpgradeStrategy.CANARY,
      initiatedBy: 'ops',
      installedComponents: {},
    });
  });

  it('keep a fully specified request unchanged', () => {
    // The REST contract's CANARY example: every field given.
    const fullRequest = canaryUpgradeExample(ids);
    expect(validateCreateUpgradeRequest(fullRequest)).toEqual({ value: fullRequest });
  });
});

describe('CreateUpgradeRequest through the Nest ValidationPipe', () => {
  const pipe = new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new BadRequestException({ errors: flattenValidationErrors(errors) }),
  });
  const metadata: ArgumentMetadata = { type: 'body', metatype: CreateUpgradeRequest };

  it('applies the defaults to an instance of the DTO', async () => {
    const dto: unknown = await pipe.transform({ ...ids, totalInstances: 20 }, metadata);
    expect(dto).toBeInstanceOf(CreateUpgradeRequest);
    expect(dto).toMatchObject({ ...ids, ...expectedDefaults, totalInstances: 20 });
  });

  it('rejects an unknown field, naming it', async () => {
    const error: unknown = await pipe.transform({ ...ids, colour: 'red' }, metadata).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toEqual({
      errors: [{ field: 'colour', message: 'property colour should not exist' }],
    });
  });

  it('says a missing id is required, one message per field', async () => {
    const error: unknown = await pipe
      .transform({ fromVersionId: ids.fromVersionId, toVersionId: ids.toVersionId }, metadata)
      .catch((e: unknown) => e);
    expect((error as BadRequestException).getResponse()).toEqual({
      errors: [{ field: 'componentId', message: 'componentId is required' }],
    });
  });

  it('does not coerce strings into numbers', async () => {
    const error: unknown = await pipe
      .transform({ ...ids, batchSize: '5' }, metadata)
      .catch((e: unknown) => e);
    expect((error as BadRequestException).getResponse()).toEqual({
      errors: [{ field: 'batchSize', message: 'batchSize must be an integer number' }],
    });
  });
});

describe('CreateUpgradeRequest bounds: each violation names its field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['componentId must be a UUID', { componentId: 'aaa-111' }, 'componentId'],
    ['fromVersionId must be a UUID', { fromVersionId: 42 }, 'fromVersionId'],
    ['toVersionId is required', { toVersionId: undefined }, 'toVersionId'],
    ['strategy must be one of the five', { strategy: 'YOLO' }, 'strategy'],
    ['canaryPercentage must be at least 1', { canaryPercentage: 0 }, 'canaryPercentage'],
    ['canaryPercentage must be at most 100', { canaryPercentage: 101 }, 'canaryPercentage'],
    ['canaryPercentage must be an integer', { canaryPercentage: 12.5 }, 'canaryPercentage'],
    ['batchSize must be at least 1', { batchSize: 0 }, 'batchSize'],
    ['batchSize must not exceed the instance limit', { batchSize: 10_001 }, 'batchSize'],
    ['batchDelaySeconds must not be negative', { batchDelaySeconds: -1 }, 'batchDelaySeconds'],
    [
      'healthCheckIntervalSeconds must be at least 1',
      { healthCheckIntervalSeconds: 0 },
      'healthCheckIntervalSeconds',
    ],
    [
      'healthCheckTimeoutSeconds must be at least 1',
      { healthCheckTimeoutSeconds: 0 },
      'healthCheckTimeoutSeconds',
    ],
    [
      'healthCheckTimeoutSeconds must not be below the interval',
      { healthCheckIntervalSeconds: 60, healthCheckTimeoutSeconds: 30 },
      'healthCheckTimeoutSeconds',
    ],
    [
      'maxUnavailablePercentage must be at least 1',
      { maxUnavailablePercentage: 0 },
      'maxUnavailablePercentage',
    ],
    [
      'maxUnavailablePercentage must be at most 100',
      { maxUnavailablePercentage: 150 },
      'maxUnavailablePercentage',
    ],
    ['totalInstances must be at least 1', { totalInstances: 0 }, 'totalInstances'],
    ['totalInstances must be an integer', { totalInstances: '10' }, 'totalInstances'],
    ['autoRollbackEnabled must be a boolean', { autoRollbackEnabled: 'yes' }, 'autoRollbackEnabled'],
    ['failureThreshold must be at least 1', { failureThreshold: 0 }, 'failureThreshold'],
    ['initiatedBy must be a string', { initiatedBy: 7 }, 'initiatedBy'],
    ['initiatedBy must not be empty', { initiatedBy: '' }, 'initiatedBy'],
    ['installedComponents must be an object', { installedComponents: ['kafka'] }, 'installedComponents'],
    [
      'installedComponents values must be strings',
      { installedComponents: { kafka: 3 } },
      'installedComponents',
    ],
    ['unknown fields are refused', { priority: 'high' }, 'priority'],
  ];

  it.each(cases)('%s', (_name, patch, field) => {
    expect(new Set(fieldsOf({ ...ids, ...patch }))).toEqual(new Set([field]));
  });

  it('says only "is required" for a missing or null id, not what its value should look like', () => {
    const { componentId: _omitted, ...withoutComponent } = ids;
    expect(validateCreateUpgradeRequest(withoutComponent)).toEqual({
      errors: [{ field: 'componentId', message: 'componentId is required' }],
    });
    expect(validateCreateUpgradeRequest({ ...ids, fromVersionId: null })).toEqual({
      errors: [{ field: 'fromVersionId', message: 'fromVersionId is required' }],
    });
    expect(validateCreateUpgradeRequest({})).toEqual({
      errors: [
        { field: 'componentId', message: 'componentId is required' },
        { field: 'fromVersionId', message: 'fromVersionId is required' },
        { field: 'toVersionId', message: 'toVersionId is required' },
      ],
    });
  });

  it('still says "must be a UUID" for an id that is present but malformed', () => {
    expect(messagesOf({ ...ids, toVersionId: 'ccc-333' })).toEqual(['toVersionId must be a UUID']);
  });

  it('names the interval in the timeout message', () => {
    expect(messagesOf({ ...ids, healthCheckIntervalSeconds: 60, healthCheckTimeoutSeconds: 30 })).toEqual([
      'healthCheckTimeoutSeconds must be greater than or equal to healthCheckIntervalSeconds (60)',
    ]);
  });

  it('names the offending installed component', () => {
    expect(messagesOf({ ...ids, installedComponents: { kafka: '3.6.0', postgresql: '' } })).toEqual([
      'installedComponents.postgresql must be a version string of 1 to 64 characters',
    ]);
  });

  it('compares the timeout with the default interval when the interval is absent', () => {
    expect(fieldsOf({ ...ids, healthCheckTimeoutSeconds: 10 })).toEqual(['healthCheckTimeoutSeconds']);
  });

  it('reports every invalid field at once', () => {
    expect(new Set(fieldsOf({ componentId: 'x', batchSize: 0, canaryPercentage: 0 }))).toEqual(
      new Set(['componentId', 'fromVersionId', 'toVersionId', 'batchSize', 'canaryPercentage']),
    );
  });

  it('refuses a body that is not an object', () => {
    expect(validateCreateUpgradeRequest([ids])).toEqual({
      errors: [{ field: '', message: 'the request body must be a JSON object' }],
    });
    expect(validateCreateUpgradeRequest(null)).toHaveProperty('errors');
  });

  it('accepts the boundary values', () => {
    const result = validateCreateUpgradeRequest({
      ...ids,
      canaryPercentage: 100,
      maxUnavailablePercentage: 1,
      batchSize: 1,
      batchDelaySeconds: 0,
      totalInstances: 1,
      failureThreshold: 1,
      healthCheckIntervalSeconds: 5,
      healthCheckTimeoutSeconds: 5,
    });
    expect(result).toHaveProperty('value');
  });
});
