import { parseArgs } from 'util';

/**
 * The one way the repository's scripts, benchmarks and the simulated fleet read their flags: each
 * declares its options (type, default, description) once; this module parses them with Node's
 * `util.parseArgs`, validates whole numbers and enums, generates the `--help` text, and names the flag
 * in every error. `runCli` does it before a script starts anything: `--help` prints and exits 0, a
 * wrong flag prints the error and exits 2.
 */

interface OptionBase {
  description: string;
  /**
   * An environment variable read when the flag is absent (before the default). Errors in it name the
   * variable and never echo its value.
   */
  env?: string;
}

export interface IntegerOption extends OptionBase {
  type: 'integer';
  default?: number;
  min?: number;
  max?: number;
}

export interface StringOption extends OptionBase {
  type: 'string';
  default?: string;
  /** Shown in the help, e.g. `--key FILE`; `VALUE` when omitted. */
  placeholder?: string;
}

export interface EnumOption<V extends string = string> extends OptionBase {
  type: 'enum';
  values: readonly V[];
  default?: V;
}

/** A switch: present means true. */
export interface BooleanOption extends OptionBase {
  type: 'boolean';
}

export type CliOption = IntegerOption | StringOption | EnumOption | BooleanOption;

export interface CliSpec<O extends Record<string, CliOption> = Record<string, CliOption>> {
  /** How it is run, e.g. `npm run demo --`. */
  command: string;
  /** One or two sentences on what it does. */
  summary: string;
  options: O;
  /** Positional arguments, e.g. `<command> [file]`; none are accepted when omitted. */
  positionals?: { usage: string; max: number };
}

type ValueOf<T> = T extends IntegerOption
  ? number
  : T extends EnumOption<infer V>
    ? V
    : T extends BooleanOption
      ? boolean
      : string;

type Always<T> = T extends BooleanOption ? true : T extends { default: unknown } ? true : false;

/** The parsed values: options with a default (and switches) are always set, the others may be undefined. */
export type CliValues<O extends Record<string, CliOption>> = {
  -readonly [K in keyof O]: Always<O[K]> extends true ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

export type CliParse<O extends Record<string, CliOption>> =
  { help: true } | { help: false; values: CliValues<O>; positionals: string[] };

/** A wrong flag, value or argument; the message names it. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** Declares a script's options; `const` keeps enum values as literal types. */
export function defineCli<const O extends Record<string, CliOption>>(spec: CliSpec<O>): CliSpec<O> {
  if ('help' in spec.options) throw new Error('--help is built in; do not declare it');
  return spec;
}

/** Parses `argv` (without node and the script); throws CliUsageError naming the flag. */
export function parseCli<O extends Record<string, CliOption>>(
  spec: CliSpec<O>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): CliParse<O> {
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        Object.entries(spec.options).map(([name, option]) => [
          name,
          { type: option.type === 'boolean' ? ('boolean' as const) : ('string' as const) },
        ]),
      ),
    },
    // Not strict: Node's own errors are long and do not all name the flag; every case is checked below.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const raw = new Map<string, string | true>();
  const positionals: string[] = [];
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.name === 'help') {
      help = true;
      continue;
    }
    const option = spec.options[token.name];
    if (option === undefined) throw new CliUsageError(`unknown option ${token.rawName}`);
    const flag = `--${token.name}`;
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new CliUsageError(`${flag} takes no value`);
      raw.set(token.name, true);
      continue;
    }
    // `--instances --verbose` would otherwise read "--verbose" as the number of instances.
    if (token.value === undefined || (!token.inlineValue && /^-/.test(token.value)))
      throw new CliUsageError(`${flag} needs a value`);
    raw.set(token.name, token.value);
  }
  if (help) return { help: true };
  const max = spec.positionals?.max ?? 0;
  if (positionals.length > max) {
    const extra = positionals[max] ?? '';
    throw new CliUsageError(
      max === 0
        ? `unexpected argument "${extra}" (this command takes options only)`
        : `unexpected argument "${extra}"`,
    );
  }

  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const given = raw.get(name);
    if (option.type === 'boolean') {
      values[name] = given === true || (option.env !== undefined && isTrue(env[option.env]));
      continue;
    }
    if (typeof given === 'string') {
      values[name] = convert(option, given, { flag: `--${name}`, echo: true });
    } else if (option.env !== undefined && env[option.env] !== undefined && env[option.env] !== '') {
      values[name] = convert(option, env[option.env] ?? '', { flag: option.env, echo: false });
    } else {
      values[name] = option.default;
    }
  }
  return { help: false, values: values as CliValues<O>, positionals };
}

function isTrue(text: string | undefined): boolean {
  return text !== undefined && ['1', 'true', 'yes'].includes(text.toLowerCase());
}

/** Checks and converts one value; `what` is the flag or the environment variable it came from. */
function convert(
  option: Exclude<CliOption, BooleanOption>,
  text: string,
  { flag, echo }: { flag: string; echo: boolean },
): string | number {
  // Flags are echoed so the user sees what the shell passed; environment values may be secrets.
  const got = echo ? `, got "${text}"` : '';
  switch (option.type) {
    case 'string':
      return text;
    case 'enum':
      if (!option.values.includes(text))
        throw new CliUsageError(`${flag} must be one of ${option.values.join(', ')}${got}`);
      return text;
    case 'integer': {
      const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value)) throw new CliUsageError(`${flag} must be a whole number${got}`);
      if (option.min !== undefined && value < option.min)
        throw new CliUsageError(`${flag} must be at least ${option.min}${got}`);
      if (option.max !== undefined && value > option.max)
        throw new CliUsageError(`${flag} must be at most ${option.max}${got}`);
      return value;
    }
  }
}

/** The `--help` text: usage, summary, then one line per option with its default. */
export function formatHelp(spec: CliSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => {
    const notes: string[] = [];
    if (option.type !== 'boolean' && option.default !== undefined) notes.push(`default ${option.default}`);
    if (option.type === 'integer') notes.push(...range(option));
    if (option.env !== undefined) notes.push(`env ${option.env}`);
    return [
      `--${name}${placeholder(option)}`,
      `${option.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
    ];
  });
  rows.push(['-h, --help', 'print this help and exit']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const positionals = spec.positionals ? ` ${spec.positionals.usage}` : '';
  return [
    `usage: ${spec.command}${positionals} [options]`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
  ].join('\n');
}

function range({ min, max }: IntegerOption): string[] {
  if (min !== undefined && max !== undefined) return [`${min}–${max}`];
  if (min !== undefined) return [`at least ${min}`];
  if (max !== undefined) return [`at most ${max}`];
  return [];
}

function placeholder(option: CliOption): string {
  switch (option.type) {
    case 'boolean':
      return '';
    case 'integer':
      return ' N';
    case 'enum':
      return ` ${option.values.join('|')}`;
    case 'string':
      return ` ${option.placeholder ?? 'VALUE'}`;
  }
}

/**
 * For a script's first line: the parsed values, or the process ends here — `--help` prints the help
 * and exits 0; a usage error prints its message and exits 2, before anything has started.
 */
export function runCli<O extends Record<string, CliOption>>(
  spec: CliSpec<O>,
  argv: readonly string[] = process.argv.slice(2),
): { values: CliValues<O>; positionals: string[] } {
  try {
    const parsed = parseCli(spec, argv);
    if (parsed.help) {
      process.stdout.write(`${formatHelp(spec)}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    exitWithUsageError(spec, error);
  }
}

/** Prints a usage error found after parsing (e.g. a combination of flags) and exits 2. */
export function exitWithUsageError(spec: CliSpec, error: CliUsageError): never {
  process.stderr.write(`${error.message}\n(${spec.command} --help lists the options)\n`);
  process.exit(2);
}
