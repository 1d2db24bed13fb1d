import { spawn, spawnSync } from 'child_process';

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client binary to completion, feeding `input` on stdin; kills it after timeoutMs. */
export function run(
  command: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

const INSTALL_HINT = 'install the Debian client packages: apt-get install -y kcat python3-kafka';

/** The kcat binary, or a loud failure naming the package to install. */
export function requireKcat(): string {
  for (const candidate of ['kcat', 'kafkacat']) {
    const probe = spawnSync(candidate, ['-V'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error(`kcat is not installed: ${INSTALL_HINT}`);
}

/** A python3 that can `import kafka` (Debian's python3-kafka lives in /usr/bin/python3's path). */
export function requirePythonKafka(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import kafka; print(kafka.__version__)'], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return candidate;
  }
  throw new Error(`python3-kafka (kafka-python) is not installed: ${INSTALL_HINT}`);
}
