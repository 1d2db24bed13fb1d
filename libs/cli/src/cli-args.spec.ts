import { CliUsageError, defineCli, formatHelp, parseCli } from './cli-args';

const spec = defineCli({
  command: 'npm run demo --',
  summary: 'Runs the demo.',
  options: {
    instances: { type: 'integer', default: 20, min: 1, description: 'simulated instances' },
    workers: { type: 'integer', default: 2, min: 1, max: 64, env: 'UP_WORKERS', description: 'workers' },
    fsync: {
      type: 'enum',
      values: ['always', 'interval', 'never'],
      default: 'interval',
      description: 'fsync',
    },
    'log-format': { type: 'enum', values: ['json', 'pretty'], env: 'LOG_FORMAT', description: 'output' },
    key: { type: 'string', placeholder: 'FILE', description: 'private key' },
    verbose: { type: 'boolean', description: "services' logs on stderr" },
  },
});

/** The message of the CliUsageError that parsing `argv` throws. */
function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCli(spec, argv, env);
  } catch (error) {
    if (error instanceof CliUsageError) return error.message;
    throw error;
  }
  throw new Error(`parsing ${argv.join(' ')} did not fail`);
}

describe('parseCli', () => {
  it('returns the defaults when no flag is given, and undefined for options without one', () => {
    expect(parseCli(spec, [], {})).toEqual({
      help: false,
      positionals: [],
      values: {
        instances: 20,
        workers: 2,
        fsync: 'interval',
        'log-format': undefined,
        key: undefined,
        verbose: false,
      },
    });
  });

  it('reads whole numbers, enums, strings and switches, in both --flag value and --flag=value forms', () => {
    const parsed = parseCli(
      spec,
      ['--instances', '500', '--workers=4', '--fsync', 'never', '--key', 'k.pem', '--verbose'],
      {},
    );
    expect(parsed).toMatchObject({
      help: false,
      values: { instances: 500, workers: 4, fsync: 'never', key: 'k.pem', verbose: true },
    });
  });

  it('answers --help and -h before validating anything else', () => {
    expect(parseCli(spec, ['--help'], {})).toEqual({ help: true });
    expect(parseCli(spec, ['--instances', 'abc', '-h'], {})).toEqual({ help: true });
  });

  it('names the flag and echoes the value when a number is not a whole number or out of range', () => {
    expect(usageError(['--instances', 'abc'])).toBe('--instances must be a whole number, got "abc"');
    expect(usageError(['--instances', '2.5'])).toBe('--instances must be a whole number, got "2.5"');
    expect(usageError(['--instances', ''])).toBe('--instances must be a whole number, got ""');
    expect(usageError(['--instances', '0'])).toBe('--instances must be at least 1, got "0"');
    expect(usageError(['--workers', '65'])).toBe('--workers must be at most 64, got "65"');
  });

  it('names the flag and lists the allowed values when an enum value is wrong', () => {
    expect(usageError(['--fsync', 'sometimes'])).toBe(
      '--fsync must be one of always, interval, never, got "sometimes"',
    );
  });

  it('refuses unknown flags, missing values, values given to switches and stray arguments', () => {
    expect(usageError(['--instance', '5'])).toBe('unknown option --instance');
    expect(usageError(['-x'])).toBe('unknown option -x');
    expect(usageError(['--instances'])).toBe('--instances needs a value');
    expect(usageError(['--instances', '--verbose'])).toBe('--instances needs a value');
    expect(usageError(['--verbose=yes'])).toBe('--verbose takes no value');
    expect(usageError(['20'])).toBe('unexpected argument "20" (this command takes options only)');
  });

  it('reads the environment variable when the flag is absent; the flag wins over it', () => {
    expect(parseCli(spec, [], { UP_WORKERS: '8', LOG_FORMAT: 'pretty' })).toMatchObject({
      values: { workers: 8, 'log-format': 'pretty' },
    });
    expect(parseCli(spec, ['--workers', '3'], { UP_WORKERS: '8' })).toMatchObject({ values: { workers: 3 } });
  });

  it('names the environment variable, without its value, when the variable is wrong', () => {
    expect(usageError([], { UP_WORKERS: 'secret-ish' })).toBe('UP_WORKERS must be a whole number');
    expect(usageError([], { LOG_FORMAT: 'xml' })).toBe('LOG_FORMAT must be one of json, pretty');
  });

  it('accepts positionals up to the declared number', () => {
    const withFile = defineCli({
      command: 'npm run sign-artifact --',
      summary: 'Signs.',
      options: {},
      positionals: { usage: '<command> [file]', max: 2 },
    });
    expect(parseCli(withFile, ['sign', 'a.tgz'], {})).toEqual({
      help: false,
      values: {},
      positionals: ['sign', 'a.tgz'],
    });
    expect(() => parseCli(withFile, ['sign', 'a.tgz', 'b.tgz'], {})).toThrow('unexpected argument "b.tgz"');
  });
});

describe('formatHelp', () => {
  it('lists every option with its placeholder, description, default, range and variable', () => {
    const help = formatHelp(spec).split('\n');
    expect(help[0]).toBe('usage: npm run demo -- [options]');
    expect(help).toContain('Runs the demo.');
    const line = (flag: string) => help.find((l) => l.trimStart().startsWith(flag)) ?? '';
    expect(line('--instances N')).toMatch(/simulated instances \(default 20; at least 1\)$/);
    expect(line('--workers N')).toMatch(/workers \(default 2; 1–64; env UP_WORKERS\)$/);
    expect(line('--fsync always|interval|never')).toMatch(/fsync \(default interval\)$/);
    expect(line('--log-format json|pretty')).toMatch(/output \(env LOG_FORMAT\)$/);
    expect(line('--key FILE')).toMatch(/private key$/);
    expect(line('--verbose')).toMatch(/services' logs on stderr$/);
    expect(line('-h, --help')).toMatch(/print this help and exit$/);
    // Descriptions start in one column.
    const columns = new Set(
      help.filter((l) => l.startsWith('  -')).map((l) => /^ {2}.*? {2,}(?=\S)/.exec(l)?.[0].length),
    );
    expect(columns.size).toBe(1);
  });

  it('refuses a declared --help, which is built in', () => {
    expect(() =>
      defineCli({ command: 'x', summary: 'x', options: { help: { type: 'boolean', description: 'mine' } } }),
    ).toThrow('--help is built in');
  });
});
