export * from './service-registry';
export * from './cached-sample';
export * from './cumulative-counter';
export * from './metrics-endpoint';
export * from './http-request-metrics';
