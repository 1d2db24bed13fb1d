/**
 * One SASL authentication in progress on one connection, whatever the mechanism: each client token
 * (a SaslAuthenticate request, or a bare frame after SaslHandshake v0) is one step.
 */
export interface SaslExchange {
  readonly mechanism: string;
  step(token: Buffer): SaslStep;
}

export type SaslStep =
  /** Send `response` and wait for the client's next token. */
  | { kind: 'continue'; response: Buffer }
  /** Authenticated as `principal`; `response` is the last server message (may be empty). */
  | { kind: 'done'; response: Buffer; principal: string }
  /** Refused; `reason` is for the broker's log only, never for the client (it may name the user). */
  | { kind: 'failed'; reason: string };
