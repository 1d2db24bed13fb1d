export * from './schedule';
export * from './checks';
export * from './report';
export * from './chaos-run';
export * from './chaos-stack';
export * from './kafka-observer';
export * from './infrastructure';
export * from './supervised-process';
