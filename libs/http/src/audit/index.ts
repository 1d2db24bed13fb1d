export * from './audit-writer';
export * from './audit-scope';
export * from './audit-cursor';
export * from './audit-requests';
export * from './audit-log-sql';
export * from './audit-query';
export * from './install-audit-log';
