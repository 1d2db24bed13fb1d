import { ExitCode } from './exit-codes';
import type { ExitCodeValue } from './exit-codes';

/** One invalid field of a 400 problem (docs/api-contract.md, "Errors"). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** An error the CLI explains in a few lines and turns into an exit code, never a stack trace. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** The lines printed on stderr. */
  abstract describe(): string[];
}

/** A problem+json answer (or any non-2xx answer) from the orchestrator or, through it, the registry. */
export class ApiError extends CliError {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | null,
    readonly fields: FieldProblem[],
    /** Extension members worth showing: blockers, currentStatus, allowedOperations, … */
    readonly extras: Record<string, unknown>,
  ) {
    super(`${status} ${title}`);
  }

  get exitCode(): ExitCodeValue {
    return this.status >= 500 ? ExitCode.UNAVAILABLE : ExitCode.REFUSED;
  }

  describe(): string[] {
    const lines = [`error: ${this.title} (HTTP ${this.status})`];
    for (const field of this.fields) lines.push(`  ${field.field}: ${field.message}`);
    if (this.fields.length === 0 && this.detail) lines.push(`  ${this.detail}`);
    const blockers = this.extras['blockers'];
    if (Array.isArray(blockers)) {
      for (const b of blockers as { code?: string; message?: string }[])
        lines.push(`  blocker ${b.code ?? ''}: ${b.message ?? ''}`);
    }
    const allowed = this.extras['allowedOperations'];
    if (typeof this.extras['currentStatus'] === 'string' && Array.isArray(allowed)) {
      lines.push(
        `  status ${this.extras['currentStatus']}; allowed now: ${allowed.length ? allowed.join(', ') : 'none'}`,
      );
    }
    return lines;
  }
}

/** The orchestrator did not answer at all. */
export class UnreachableError extends CliError {
  override readonly name = 'UnreachableError';
  readonly exitCode = ExitCode.UNAVAILABLE;
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach ${url}: ${reason}`);
  }

  describe(): string[] {
    return [`error: cannot reach the orchestrator at ${this.url} (${this.reason})`];
  }
}

/** A command line the CLI cannot act on; `field` names the flag or argument. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  readonly exitCode = ExitCode.USAGE;
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }

  describe(): string[] {
    return [`error: ${this.field}: ${this.problem}`];
  }
}

/** Parses a problem+json body (or whatever came) into an ApiError. */
export function apiErrorFrom(status: number, statusText: string, body: string): ApiError {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(body);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's HTML page): the status line says enough.
  }
  const { title, detail, errors, ...extras } = parsed;
  const fields = Array.isArray(errors)
    ? (errors as Partial<FieldProblem>[]).map((e) => ({
        field: String(e.field ?? ''),
        message: String(e.message ?? ''),
      }))
    : [];
  return new ApiError(
    status,
    typeof title === 'string' ? title : statusText || `HTTP ${status}`,
    typeof detail === 'string' ? detail : null,
    fields,
    extras,
  );
}
