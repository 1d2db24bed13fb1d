export * from './environment';
export * from './cpu-meter';
export * from './cli-args';
export * from './auth';
export * from './service-log';
export * from './openapi-fuzz';
export * from './audit-log-counter';
