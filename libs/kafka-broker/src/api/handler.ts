import type { GroupCoordinator } from '../group/group-coordinator';
import type { Logger } from '../logger';
import type { LogManager } from '../log/log-manager';
import type { OffsetStore } from '../offsets/offset-store';
import type { RequestHeader } from '../protocol/headers';
import type { SaslExchange } from '../sasl/exchange';
import type { SaslUsers } from '../sasl/users';
import type { MessageSchema } from '../protocol/schema';
import type { ProducerIdAllocator } from './producer-id-allocator';
import type { BrokerTraffic } from '../metrics/broker-traffic';

export interface BrokerSettings {
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** The largest record batch a partition accepts (Kafka's message.max.bytes). */
  maxMessageBytes: number;
}

/** What every handler may use: the broker's identity and its stores. One per broker. */
export interface BrokerContext {
  readonly nodeId: number;
  readonly clusterId: string;
  /** The address clients are told to connect to (Metadata, FindCoordinator). */
  readonly advertised: { host: string; port: number };
  readonly settings: BrokerSettings;
  readonly logs: LogManager;
  readonly offsets: OffsetStore;
  readonly groups: GroupCoordinator;
  readonly producerIds: ProducerIdAllocator;
  readonly logger: Logger;
  /** SASL users (PLAIN and SCRAM); null when SASL is off. */
  readonly saslUsers: SaslUsers | null;
  /** Messages and bytes in and out per topic, for the metrics (metrics/metrics-server.ts). */
  readonly traffic: BrokerTraffic;
}

/** Per-connection SASL progress; only the SASL handlers and the connection touch it. */
export interface SaslSession {
  /** 'none' until a handshake; 'raw' after SaslHandshake v0 (the next frames are bare SASL tokens). */
  stage: 'none' | 'authenticate' | 'raw' | 'done';
  /** The mechanism's exchange, from the handshake until authentication ends. */
  exchange: SaslExchange | null;
  principal: string | null;
  /** Set by a failed authentication: the connection closes after sending the response. */
  closeAfterResponse: boolean;
}

export interface RequestContext {
  readonly broker: BrokerContext;
  readonly header: RequestHeader;
  readonly clientHost: string;
  /** Aborted when the connection closes: long polls stop waiting. */
  readonly signal: AbortSignal;
  readonly sasl: SaslSession;
}

/** One API key: its request and response layouts and what to do with a request. */
export interface ApiHandler<Req, Res> {
  readonly apiKey: number;
  readonly request: MessageSchema<Req>;
  readonly response: MessageSchema<Res>;
  /** null → send no response (Produce with acks=0). */
  handle(request: Req, ctx: RequestContext): Promise<Res | null> | Res | null;
}

export function defineApi<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return handler;
}
