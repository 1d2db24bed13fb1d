export * from './cli-args';
