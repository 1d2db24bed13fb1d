export * from './wrk-output';
export * from './wrk';
export * from './http-floor';
export * from './bench-result';
export * from './cpu-profile';
