import * as fs from 'fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import YAML from 'yaml';
import type {
  AuditPage,
  ExecutionStatistics,
  UpgradeExecutionView,
  UpgradeInstanceView,
} from '@upshift/contracts';
import { ApiClient } from './api-client';
import { listComponents, listVersions, resolveComponent, resolveVersion } from './catalog';
import { resolveConnection, tokenTenants } from './connection';
import { UsageError } from './errors';
import { ExitCode } from './exit-codes';
import { fields, json, table } from './output';
import type { Io, OutputFormat } from './output';
import { executionSummary, instancesTable } from './views';
import { ExecutionWatcher } from './watch';

/** What every command's action gets: the client, where to write, and the output format. */
export interface CommandContext {
  api: ApiClient;
  io: Io;
  format: OutputFormat;
  env: NodeJS.ProcessEnv;
}

interface GlobalOptions {
  url?: string;
  token?: string;
  output: OutputFormat;
}

const integer = (flag: string) => (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be an integer`);
  return Number(value);
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `name=version` pairs (repeatable `--installed`) as the request's installedComponents. */
function installed(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const [name, version] = pair.split('=');
    if (!name || !version) throw new UsageError('--installed', `${JSON.stringify(pair)} is not name=version`);
    result[name] = version;
  }
  return result;
}

/** The tenant to act on: the flag, else the token's only tenant. */
function tenantOf(context: CommandContext, flag: string | undefined): string {
  if (flag) return flag;
  const tenants = tokenTenants(context.api.connection.token).filter((t) => t !== '*');
  if (tenants.length === 1 && tenants[0]) return tenants[0];
  throw new UsageError('--tenant', 'required: the token does not name exactly one tenant');
}

/** JSON or YAML, shaped like the REST body of POST /tenants/:tenantId/upgrades. */
function readBodyFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      '--file',
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new UsageError(
      '--file',
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('--file', `${file} must hold one object, the upgrade request`);
  }
  return value as Record<string, unknown>;
}

function print(context: CommandContext, value: unknown, asTable: () => string): void {
  context.io.out(context.format === 'json' ? json(value) : asTable());
}

const execution = (context: CommandContext, id: string) =>
  context.api.get<UpgradeExecutionView>(`/upgrades/${encodeURIComponent(id)}`);

/**
 * The `upshift` commands (README "CLI"). `act` runs an action with its context and records the exit
 * code it returns.
 */
export function buildProgram(
  act: (run: (context: CommandContext) => Promise<unknown>, options: GlobalOptions) => Promise<void>,
  io: Io,
): Command {
  // Set before the commands are added, which copy them: errors are thrown (runCli maps them to exit
  // codes) and every message goes through `io`.
  const program = new Command('upshift')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .description('Operate Upshift upgrades from a terminal (docs/api-contract.md)')
    .option('--url <url>', 'orchestrator base URL (UPSHIFT_URL; default http://127.0.0.1:8084)')
    .option('--token <token>', 'bearer token (UPSHIFT_TOKEN)')
    .addOption(
      new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 done (watch: COMPLETED; path: valid), 1 watch: FAILED or ROLLED_BACK (path: not valid),\n' +
        '2 watch: CANCELLED, 3 the API refused the request, 4 orchestrator unreachable or 5xx, 64 bad command line.',
    );

  /** Registers a command whose action receives the parsed arguments and options. */
  const command = (spec: string, description: string, parent: Command = program) =>
    parent.command(spec).description(description);
  const run = <A extends unknown[]>(fn: (context: CommandContext, ...args: A) => Promise<unknown>) =>
    async function (this: Command, ...args: unknown[]) {
      const options = this.optsWithGlobals<GlobalOptions>();
      await act((context) => fn(context, ...(args.slice(0, -1) as A)), options);
    };

  command('components', 'List the catalog’s components').action(
    run(async (context) => {
      const components = await listComponents(context.api);
      print(context, components, () =>
        table(
          ['NAME', 'KIND', 'DESCRIPTION', 'ID'],
          components.map((c) => [c.name, c.kind, c.description, c.id]),
        ),
      );
    }),
  );

  command('versions <component>', 'List a component’s versions (component by name or id)').action(
    run(async (context, name: string) => {
      const component = await resolveComponent(context.api, name, 'COMPONENT');
      const versions = await listVersions(context.api, component.id);
      print(context, versions, () =>
        table(
          ['VERSION', 'STATUS', 'CHANNEL', 'BREAKING', 'MANDATORY', 'SIGNED', 'PUBLISHED', 'ID'],
          versions.map((v) => [
            v.version,
            v.status,
            v.channel,
            v.breaking,
            v.mandatory,
            v.signed,
            v.publishedAt,
            v.id,
          ]),
        ),
      );
    }),
  );

  command('path <component>', 'Validate an upgrade path: blockers, warnings and the suggested route')
    .requiredOption('--from <version>', 'from version (number or id)')
    .requiredOption('--to <version>', 'target version (number or id)')
    .option('--installed <name=version>', 'a component installed beside it (repeatable)', collect)
    .action(
      run(async (context, name: string, options: { from: string; to: string; installed?: string[] }) => {
        const component = await resolveComponent(context.api, name, 'COMPONENT');
        const [from, to] = await Promise.all([
          resolveVersion(context.api, component.id, options.from, '--from'),
          resolveVersion(context.api, component.id, options.to, '--to'),
        ]);
        const answer = await context.api.post<{
          valid: boolean;
          path: { versionId: string; version: string }[];
          blockers: { code: string; message: string }[];
          warnings: { code: string; message: string }[];
        }>(`/components/${component.id}/upgrade-path/validate`, {
          fromVersionId: from.id,
          toVersionId: to.id,
          installedComponents: installed(options.installed),
        });
        print(context, answer, () =>
          [
            fields([
              ['path', `${component.name} ${from.version} → ${to.version}`],
              ['valid', answer.valid ? 'yes' : 'no'],
              ['route', [from.version, ...answer.path.map((step) => step.version)].join(' → ')],
            ]),
            ...answer.blockers.map((b) => `blocker ${b.code}: ${b.message}`),
            ...answer.warnings.map((w) => `warning ${w.code}: ${w.message}`),
          ].join('\n'),
        );
        return answer.valid ? ExitCode.OK : ExitCode.FAILED;
      }),
    );

  const upgrade = command('upgrade', 'Upgrade executions');
  command('create', 'Create an upgrade (PENDING); flags override the --file body', upgrade)
    .option('--file <file>', 'the request body, JSON or YAML, shaped like the REST body')
    .option('--tenant <tenant>', 'tenant (default: the token’s only tenant)')
    .option('--component <component>', 'component (name or id)')
    .option('--from <version>', 'from version (number or id)')
    .option('--to <version>', 'target version (number or id)')
    .option('--strategy <strategy>', 'ROLLING, CANARY, BLUE_GREEN, RECREATE or STAGED')
    .option('--instances <n>', 'totalInstances', integer('--instances'))
    .option('--batch-size <n>', 'batchSize', integer('--batch-size'))
    .option('--batch-delay <seconds>', 'batchDelaySeconds', integer('--batch-delay'))
    .option('--canary-percentage <n>', 'canaryPercentage', integer('--canary-percentage'))
    .option('--health-interval <seconds>', 'healthCheckIntervalSeconds', integer('--health-interval'))
    .option('--health-timeout <seconds>', 'healthCheckTimeoutSeconds', integer('--health-timeout'))
    .option('--max-unavailable <percent>', 'maxUnavailablePercentage', integer('--max-unavailable'))
    .option('--failure-threshold <n>', 'failureThreshold', integer('--failure-threshold'))
    .option('--auto-rollback', 'autoRollbackEnabled: true')
    .option('--no-auto-rollback', 'autoRollbackEnabled: false')
    .option('--initiated-by <who>', 'initiatedBy, kept in the audit log beside the token’s subject')
    .option('--installed <name=version>', 'installedComponents entry (repeatable)', collect)
    .action(run(async (context, options: CreateOptions) => createUpgrade(context, options)));

  for (const [operation, path, description] of [
    ['start', 'start', 'PENDING → VALIDATING: run the checks, then the rollout'],
    ['promote', 'promote-canary', 'CANARY_MONITORING → IN_PROGRESS: roll out the rest'],
    ['pause', 'pause', 'Stop starting batches'],
    ['resume', 'resume', 'Continue a paused execution'],
    ['cancel', 'cancel', 'Stop new work; → CANCELLED'],
  ] as const) {
    command(`${operation} <execution>`, description).action(
      run(async (context, id: string) => {
        const view = await context.api.post<UpgradeExecutionView>(
          `/upgrades/${encodeURIComponent(id)}/${path}`,
        );
        print(context, view, () => executionSummary(view));
      }),
    );
  }

  command('rollback <execution>', 'Roll back every upgraded instance; → ROLLING_BACK')
    .requiredOption('--reason <reason>', 'why (kept in the execution and the audit log)')
    .action(
      run(async (context, id: string, options: { reason: string }) => {
        const view = await context.api.post<UpgradeExecutionView>(
          `/upgrades/${encodeURIComponent(id)}/rollback`,
          {
            reason: options.reason,
          },
        );
        print(context, view, () => executionSummary(view));
      }),
    );

  command('get <execution>', 'An execution and its instances').action(
    run(async (context, id: string) => {
      const view = await execution(context, id);
      print(context, view, () => `${executionSummary(view)}\n\n${instancesTable(view.instances)}`);
    }),
  );

  command('list', 'A tenant’s executions, newest first')
    .option('--tenant <tenant>', 'tenant (default: the token’s only tenant)')
    .option('--status <status>', 'only executions in this status')
    .option('--page <n>', 'zero-based page', integer('--page'))
    .option('--size <n>', 'page size', integer('--size'))
    .action(
      run(async (context, options: { tenant?: string; status?: string; page?: number; size?: number }) => {
        const tenant = tenantOf(context, options.tenant);
        const page = await context.api.get<{
          content: UpgradeExecutionView[];
          totalElements: number;
          page: number;
          totalPages: number;
        }>(`/tenants/${encodeURIComponent(tenant)}/upgrades`, {
          status: options.status,
          page: options.page,
          size: options.size,
        });
        print(context, page, () =>
          [
            table(
              ['ID', 'COMPONENT', 'STRATEGY', 'STATUS', 'UPGRADED', 'FAILED', 'CREATED'],
              page.content.map((v) => [
                v.id,
                v.componentId,
                v.strategy,
                v.status,
                `${v.completedInstances}/${v.totalInstances}`,
                v.failedInstances,
                v.createdAt,
              ]),
            ),
            `page ${page.page + 1} of ${Math.max(page.totalPages, 1)} (${page.totalElements} executions)`,
          ].join('\n'),
        );
      }),
    );

  command('instances <execution>', 'An execution’s instances, one page at a time')
    .option('--status <status>', 'only instances in this status')
    .option('--limit <n>', 'page size (1–500)', integer('--limit'))
    .option('--cursor <cursor>', 'the `next` of the previous page')
    .action(
      run(async (context, id: string, options: { status?: string; limit?: number; cursor?: string }) => {
        const page = await context.api.get<{
          executionId: string;
          instances: UpgradeInstanceView[];
          next: string | null;
        }>(`/upgrades/${encodeURIComponent(id)}/instances`, {
          status: options.status,
          limit: options.limit,
          cursor: options.cursor,
        });
        print(context, page, () =>
          [
            instancesTable(page.instances),
            ...(page.next === null ? [] : [`next page: --cursor ${page.next}`]),
          ].join('\n'),
        );
      }),
    );

  command('watch <execution>', 'Follow an execution live until it ends (exit code: how it ended)')
    .option(
      '--reconnect-timeout <seconds>',
      'give up after this long without a connection',
      integer('--reconnect-timeout'),
      60,
    )
    .action(
      run(async (context, id: string, options: { reconnectTimeout: number }) => {
        const view = await execution(context, id);
        return new ExecutionWatcher(context.api, view, context.io, {
          format: context.format,
          reconnectTimeoutMs: options.reconnectTimeout * 1000,
        }).run();
      }),
    );

  command('transcript <execution>', 'The human-readable transcript, every line')
    .option('--limit <n>', 'lines per request (1–500)', integer('--limit'), 500)
    .action(
      run(async (context, id: string, options: { limit: number }) => {
        const lines: { id: string; at: string; line: string }[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await context.api.get<{ lines: typeof lines; next: string | null }>(
            `/upgrades/${encodeURIComponent(id)}/transcript`,
            { limit: options.limit, after },
          );
          lines.push(...page.lines);
          if (page.next === null) break;
          after = page.next;
        }
        print(context, { executionId: id, lines }, () => lines.map((l) => `${l.at}  ${l.line}`).join('\n'));
      }),
    );

  command('stats <component>', 'Execution statistics of a component (name or id)').action(
    run(async (context, name: string) => {
      const component = await resolveComponent(context.api, name, 'COMPONENT');
      const stats = await context.api.get<ExecutionStatistics>(
        `/components/${component.id}/upgrade-statistics`,
      );
      print(context, stats, () =>
        fields([
          ['component', component.name],
          ['executions', stats.totalExecutions],
          ['successful', stats.successfulExecutions],
          ['failed', stats.failedExecutions],
          ['success rate', `${stats.successRate}%`],
          ['average duration', `${stats.averageDurationSeconds} s`],
        ]),
      );
    }),
  );

  command('audit', 'Audit records of both services, newest first')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--since <time>', 'records at or after this ISO 8601 time')
    .option('--limit <n>', 'records per page', integer('--limit'))
    .option('--before <cursor>', 'the nextCursor of the previous page')
    .action(
      run(async (context, options: { tenant?: string; since?: string; limit?: number; before?: string }) => {
        const page = await context.api.get<AuditPage>('/audit', {
          tenantId: options.tenant,
          since: options.since,
          limit: options.limit,
          before: options.before,
        });
        print(context, page, () =>
          [
            table(
              ['AT', 'SERVICE', 'ACTION', 'STATUS', 'SUB', 'TENANT', 'TARGET'],
              page.items.map((r) => [r.at, r.service, r.action, r.status, r.sub, r.tenantId, r.targetId]),
            ),
            ...(page.nextCursor === null ? [] : [`next page: --before ${page.nextCursor}`]),
          ].join('\n'),
        );
      }),
    );

  return program;
}

interface CreateOptions {
  file?: string;
  tenant?: string;
  component?: string;
  from?: string;
  to?: string;
  strategy?: string;
  instances?: number;
  batchSize?: number;
  batchDelay?: number;
  canaryPercentage?: number;
  healthInterval?: number;
  healthTimeout?: number;
  maxUnavailable?: number;
  failureThreshold?: number;
  autoRollback?: boolean;
  initiatedBy?: string;
  installed?: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function createUpgrade(context: CommandContext, o: CreateOptions): Promise<void> {
  const body: Record<string, unknown> = o.file ? readBodyFile(o.file) : {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  set('componentId', o.component);
  set('fromVersionId', o.from);
  set('toVersionId', o.to);
  set('strategy', o.strategy);
  set('totalInstances', o.instances);
  set('batchSize', o.batchSize);
  set('batchDelaySeconds', o.batchDelay);
  set('canaryPercentage', o.canaryPercentage);
  set('healthCheckIntervalSeconds', o.healthInterval);
  set('healthCheckTimeoutSeconds', o.healthTimeout);
  set('maxUnavailablePercentage', o.maxUnavailable);
  set('failureThreshold', o.failureThreshold);
  set('autoRollbackEnabled', o.autoRollback);
  set('initiatedBy', o.initiatedBy);
  set('installedComponents', installed(o.installed));
  // Names where ids are expected: looked up in the registry's lists; ids go through untouched.
  const component = body['componentId'];
  if (typeof component === 'string' && !UUID.test(component)) {
    const resolved = await resolveComponent(context.api, component, '--component');
    body['componentId'] = resolved.id;
  }
  for (const [key, flag] of [
    ['fromVersionId', '--from'],
    ['toVersionId', '--to'],
  ] as const) {
    const value = body[key];
    const componentId = body['componentId'];
    if (typeof value === 'string' && !UUID.test(value) && typeof componentId === 'string') {
      body[key] = (await resolveVersion(context.api, componentId, value, flag)).id;
    }
  }
  const tenant = tenantOf(context, o.tenant);
  const view = await context.api.post<UpgradeExecutionView>(
    `/tenants/${encodeURIComponent(tenant)}/upgrades`,
    body,
  );
  print(context, view, () => executionSummary(view));
}

/** Builds the context of one invocation from the global options and the environment. */
export function contextFor(options: GlobalOptions, io: Io, env: NodeJS.ProcessEnv): CommandContext {
  return {
    api: new ApiClient(resolveConnection({ url: options.url, token: options.token }, env)),
    io,
    format: options.output,
    env,
  };
}
