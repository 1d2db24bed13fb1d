export { startBroker, type BrokerOptions, type ExtraListener, type RunningBroker } from './broker';
export type { Logger } from './logger';
export { createDevCertificates, type DevCertificates } from './tls/dev-certificates';
export { SUPPORTED_APIS, ApiKey, type ApiVersionRange } from './api/versions';
export {
  buildRecordBatch,
  decodeRecordBatch,
  type RecordInput,
  type DecodedRecord,
} from './protocol/record-batch';
export { BrokerTraffic, countRecords } from './metrics/broker-traffic';
export { startBrokerMetricsServer, type BrokerMetricsServer } from './metrics/metrics-server';
