export * from './tracing-settings';
export * from './tracing-sdk';
export * from './trace-context';
export * from './http-server-spans';
