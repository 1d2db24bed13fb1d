import { CommanderError } from 'commander';
import { buildProgram, contextFor } from './commands';
import { CliError } from './errors';
import { ExitCode } from './exit-codes';
import type { ExitCodeValue } from './exit-codes';
import type { Io } from './output';

/**
 * Runs one `upshift` command line and resolves with its exit code (README "CLI"). Errors are printed
 * as a few lines on stderr, never as a stack trace.
 */
export async function runCli(
  argv: readonly string[],
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<ExitCodeValue | number> {
  let code: ExitCodeValue | number = ExitCode.OK;
  const program = buildProgram(async (action, options) => {
    // An action that returns nothing succeeded; `watch` and `path` return the code they end with.
    const outcome = await action(contextFor(options, io, env));
    code = typeof outcome === 'number' ? outcome : ExitCode.OK;
  }, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, successfully.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (error instanceof CliError) {
      for (const line of error.describe()) io.err(line);
      return error.exitCode;
    }
    io.err(`error: ${(error as Error).message ?? String(error)}`);
    return ExitCode.UNEXPECTED;
  }
}

/** The process entry: the command line, stdout and stderr, and the exit code. */
export function main(): void {
  const io: Io = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    tty: process.stdout.isTTY === true,
  };
  void runCli(process.argv.slice(2), io, process.env).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
