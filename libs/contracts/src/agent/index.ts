export * from './agent-request-signature';
export * from './agent-url-policy';
export * from './agent-address-lookup';
export * from './agent-failure-reasons';
export * from './agent-config-validators';
export * from './agent-protocol';
