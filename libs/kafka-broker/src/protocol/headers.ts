import { Reader } from './reader';
import { Writer } from './writer';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * Request header v1 (v2 adds a tagged-field section). The client id keeps its int16 length prefix
 * even in v2, so that any broker can read an ApiVersions request of a version it does not know.
 * Whether the tagged section follows depends on the API's flexible versions: `isFlexible` decides.
 */
export function readRequestHeader(
  r: Reader,
  isFlexible: (apiKey: number, version: number) => boolean,
): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * Starts a response frame: the 4-byte size (patched by the connection), then response header v0
 * (correlation id) or v1 (plus an empty tagged-field section).
 */
export function startResponse(correlationId: number, headerVersion: 0 | 1, sizeHint = 256): Writer {
  const w = new Writer(sizeHint);
  w.int32(0);
  w.int32(correlationId);
  if (headerVersion === 1) w.emptyTaggedFields();
  return w;
}
