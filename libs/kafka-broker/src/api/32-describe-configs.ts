import { ErrorCode } from '../protocol/error-codes';
import { MessageSchema } from '../protocol/schema';
import { type BrokerContext, defineApi } from './handler';
import { type ConfigEntry, ConfigSource, ConfigType, topicConfigEntries } from './topic-configs';
import { ApiKey, versionRange } from './versions';

const { flexibleFrom } = versionRange(ApiKey.DescribeConfigs);

export interface DescribeConfigsRequest {
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribedConfig[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

const request = new MessageSchema<DescribeConfigsRequest>(
  `
  resources [] 0+
    resourceType int8 0+
    resourceName string 0+
    configurationKeys []string 0+ null=0+
  includeSynonyms bool 1+
  includeDocumentation bool 3+
  `,
  flexibleFrom,
);

const response = new MessageSchema<DescribeConfigsResponse>(
  `
  throttleTimeMs int32 0+
  results [] 0+
    errorCode int16 0+
    errorMessage string 0+ null=0+
    resourceType int8 0+
    resourceName string 0+
    configs [] 0+
      name string 0+
      value string 0+ null=0+
      readOnly bool 0+
      isDefault bool 0
      configSource int8 1+ =-1
      isSensitive bool 0+
      synonyms [] 1+
        name string 1+
        value string 1+ null=0+
        source int8 1+
      configType int8 3+
      documentation string 3+ null=0+
  `,
  flexibleFrom,
);

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

function brokerEntries(broker: BrokerContext): ConfigEntry[] {
  const s = broker.settings;
  return [
    { name: 'broker.id', value: String(broker.nodeId), explicit: false, type: ConfigType.INT },
    {
      name: 'auto.create.topics.enable',
      value: String(s.autoCreateTopics),
      explicit: true,
      type: ConfigType.BOOLEAN,
    },
    { name: 'num.partitions', value: String(s.defaultPartitions), explicit: true, type: ConfigType.INT },
    { name: 'default.replication.factor', value: '1', explicit: false, type: ConfigType.INT },
    { name: 'message.max.bytes', value: String(s.maxMessageBytes), explicit: false, type: ConfigType.INT },
    { name: 'offsets.topic.replication.factor', value: '1', explicit: false, type: ConfigType.INT },
  ];
}

export const describeConfigsApi = defineApi<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKey.DescribeConfigs,
  request,
  response,
  handle(req, ctx) {
    const { broker } = ctx;
    return {
      throttleTimeMs: 0,
      results: req.resources.map((res): DescribeConfigsResult => {
        const base = { resourceType: res.resourceType, resourceName: res.resourceName };
        let entries: ConfigEntry[];
        let explicitSource: number;
        if (res.resourceType === RESOURCE_TOPIC) {
          const topic = broker.logs.getTopic(res.resourceName);
          if (!topic) {
            return {
              ...base,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: `topic ${res.resourceName} does not exist`,
              configs: [],
            };
          }
          entries = topicConfigEntries(topic.config);
          explicitSource = ConfigSource.DYNAMIC_TOPIC_CONFIG;
        } else if (res.resourceType === RESOURCE_BROKER) {
          if (res.resourceName !== '' && res.resourceName !== String(broker.nodeId)) {
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `this broker's id is ${broker.nodeId}`,
              configs: [],
            };
          }
          entries = brokerEntries(broker);
          explicitSource = ConfigSource.STATIC_BROKER_CONFIG;
        } else {
          return {
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `resource type ${res.resourceType} is not supported: describe topics (2) or brokers (4)`,
            configs: [],
          };
        }
        const keys = res.configurationKeys;
        const selected =
          keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: selected.map((e) => {
            const source = e.explicit ? explicitSource : ConfigSource.DEFAULT_CONFIG;
            return {
              name: e.name,
              value: e.value,
              readOnly: res.resourceType === RESOURCE_BROKER,
              isDefault: !e.explicit,
              configSource: source,
              isSensitive: false,
              synonyms: req.includeSynonyms ? [{ name: e.name, value: e.value, source }] : [],
              configType: e.type,
              documentation: null,
            };
          }),
        };
      }),
    };
  },
});
