export * from './execution-state-machine';
export * from './instance-state-machine';
export * from './strategy-rules';
export * from './batch-planner';
export * from './failure-policy';
export * from './statistics';
export * from './channels';
export * from './upgrade-path';
