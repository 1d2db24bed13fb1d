import { spawn } from 'child_process';
import { once } from 'events';
import { runWrk, WRK_DEFAULTS, formatWrkFigures } from './wrk';
import type { WrkFigures } from './wrk-output';

/**
 * The floor every throughput figure is divided by: a bare node:http server answering a small constant
 * JSON, in its own process, loaded with the same wrk settings. Machines of this kind differ up to 3× in
 * speed; a ratio to a floor measured in the same run compares across them, a raw req/s does not.
 */
export interface HttpFloor extends WrkFigures {
  /** How it was loaded, for the report. */
  wrk: { threads: number; connections: number; durationSeconds: number };
}

// Plain JavaScript run with `node -e`: no TypeScript loader, nothing of the repository in the process.
const FLOOR_SERVER = `
const body = JSON.stringify({ status: 'ok', service: 'http-floor' });
const server = require('http').createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts the bare server as a child process, loads it with wrk, stops it. */
export async function measureHttpFloor(
  durationSeconds: number = WRK_DEFAULTS.durationSeconds,
): Promise<HttpFloor> {
  const child = spawn(process.execPath, ['-e', FLOOR_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`the floor server exited (code ${code}) before listening`)),
      );
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    const wrk = { threads: WRK_DEFAULTS.threads, connections: WRK_DEFAULTS.connections, durationSeconds };
    const figures = await runWrk({ url: `http://127.0.0.1:${port}/`, ...wrk });
    return { ...figures, wrk };
  } finally {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/** The floor's report line. */
export function formatHttpFloor(floor: HttpFloor): string {
  const { threads, connections, durationSeconds } = floor.wrk;
  return `http floor (bare node:http, wrk -t${threads} -c${connections} -d${durationSeconds}s): ${formatWrkFigures(floor)}`;
}
