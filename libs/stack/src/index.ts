export * from './stack';
export * from './local-services';
export * from './progress-follower';
export * from './orchestrator-client';
export * from './dashboard-build';
