export * from './demo-catalog';
export * from './seed-registry';
export * from './seed-consistency';
