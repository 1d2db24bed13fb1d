/**
 * The CLI's exit codes (README "CLI"). `watch` reports how the execution ended; every command reports
 * whether the request went through.
 */
export const ExitCode = {
  /** Done; `watch`: the execution COMPLETED; `path`: the path is valid. */
  OK: 0,
  /** `watch`: the execution ended FAILED or ROLLED_BACK; `path`: the registry refuses the path. */
  FAILED: 1,
  /** `watch`: the execution was CANCELLED. */
  CANCELLED: 2,
  /** The API refused the request (a 4xx problem: its title and the fields it names are printed). */
  REFUSED: 3,
  /** The orchestrator could not be reached, or answered 5xx. */
  UNAVAILABLE: 4,
  /** A bad command line: unknown command or flag, missing argument, bad value. */
  USAGE: 64,
  /** Anything else: a bug (the message is printed, not a stack trace). */
  UNEXPECTED: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
