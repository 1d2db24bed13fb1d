export { startFleet, instanceName } from './fleet/fleet';
export type { Fleet, FleetOptions, FleetRegistration, InstanceView } from './fleet/fleet';
export type { FaultConfig, FaultRule } from './fleet/faults';
export type { LatencyDistribution, LatencyProfile, AgentOperation } from './fleet/latency';
export type { OutOfServiceHistory, OutOfServiceSample } from './fleet/out-of-service-recorder';
export { httpArtifactSource, verifyArtifact, parsePublicKeys } from './agent/artifact-verifier';
export type { ArtifactSource } from './agent/artifact-verifier';
export { SimulatedAgent } from './agent/simulated-agent';
export type { AgentStatus } from './agent/simulated-agent';
