import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import type { UpgradeExecutionView } from '@upshift/contracts';
import { mintToken } from '@upshift/http';
import { ensureDashboardBuilt, OrchestratorClient, REPO_ROOT, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

/** Debian's Chromium (README "Dashboard"); the suite downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/**
 * Where this suite saves its screenshots: `.data/screenshots` (ignored) on every run, so a test run
 * leaves the checkout clean; `UPDATE_SCREENSHOTS=1` writes them to `docs/images`, which the README shows.
 */
const IMAGES =
  process.env['UPDATE_SCREENSHOTS'] === '1'
    ? join(REPO_ROOT, 'docs', 'images')
    : join(REPO_ROOT, '.data', 'screenshots');
const INSTANCES = 10;
/** What the registry's dependency ranges need for the demo catalog's versions. */
const INSTALLED = { kafka: '3.6.0', postgresql: '16.1.0' };

/**
 * The dashboard in a real browser against the whole stack (registry, orchestrator serving the built
 * files, a worker, a simulated fleet of ten): sign-in by form and by link, the executions list and an
 * execution page following the event streams live, promoting a canary from the page, an automatic
 * rollback as the page shows it, the operation buttons a viewer does not get, and the catalog.
 */
describe('dashboard (browser e2e)', () => {
  let stack: Stack;
  let client: OrchestratorClient;
  let viewerToken: string;
  let userDataDir: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`);
    }
    // CI starts from a fresh clone, where the git-ignored files are not built yet.
    await ensureDashboardBuilt();
    stack = await startStack({
      label: 'dashboard',
      workers: 1,
      workerConcurrency: 8,
      orchestratorEnv: { CANARY_MONITOR_TICK_MS: '250' },
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        // Slow enough upgrades that the page sees instances between states.
        latency: {
          default: { kind: 'uniform', minMs: 5, maxMs: 20 },
          upgrade: { kind: 'uniform', minMs: 300, maxMs: 600 },
        },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
    viewerToken = await mintToken({
      secret: stack.authSecret,
      sub: 'viewer@dashboard',
      tenants: [stack.tenantId],
      roles: ['viewer'],
      ttlSeconds: 3600,
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'upshift-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    mkdirSync(IMAGES, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** A new tab (its own sessionStorage), signed in through a sign-in link. */
  async function signedIn(token: string, route = '#/'): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/#token=${token}`);
    await page.getByTestId('who').waitFor();
    // Expressions as strings: they run in the page, whose DOM types this (Node) project does not load.
    if (route !== '#/') await page.evaluate(`window.location.hash = ${JSON.stringify(route)}`);
    return page;
  }

  const executionRoute = (id: string) => `#/executions/${id}`;

  /** Waits for the execution page's headline badge to say `status`. */
  const headlineStatus = (page: Page, status: string) =>
    page.locator(`.page-title [data-status="${status}"]`).waitFor({ timeout: 120_000 });

  function createUpgrade(
    from: string,
    to: string,
    extra: Record<string, unknown>,
  ): Promise<UpgradeExecutionView> {
    return client.create(stack.tenantId, {
      componentId: stack.componentId,
      fromVersionId: stack.versionId(from),
      toVersionId: stack.versionId(to),
      totalInstances: INSTANCES,
      batchSize: 2,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      maxUnavailablePercentage: 50,
      installedComponents: INSTALLED,
      initiatedBy: 'dashboard@e2e',
      ...extra,
    });
  }

  it('is served at / of the one base URL, beside the API, health and OpenAPI paths it leaves alone', async () => {
    const page = await fetch(`${stack.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // A production build: no development JSX carrying this machine's source paths.
    expect(await asset.text()).not.toContain(REPO_ROOT);

    expect((await fetch(`${stack.baseUrl}/api/v1/registry/components`)).status).toBe(401);
    expect((await fetch(`${stack.baseUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/api/docs-json`)).status).toBe(200);
  });

  it('signs in with a pasted token, by keyboard alone; refuses a bad one; a sign-in link leaves the address bar', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('token');
    await page.keyboard.type('not-a-token');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const refused = await page.getByRole('alert').textContent();
    expect(refused).toContain('not a token Upshift reads');

    // A token signed with another secret decodes, and the API refuses it.
    const forged = await mintToken({
      secret: 'another-secret-of-at-least-thirty-two-bytes',
      sub: 'mallory',
      tenants: [stack.tenantId],
      roles: ['admin'],
      ttlSeconds: 600,
    });
    await page.getByLabel('Bearer token').fill(forged);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The API refused this token').waitFor();

    await page.getByLabel('Bearer token').fill(stack.operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const who = await page.getByTestId('who').textContent();
    expect(who).toContain(`operator@${stack.tenantId}`);
    expect(who).toContain('operator');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();

    const linked = await browser.newPage();
    await linked.goto(`${stack.baseUrl}/#token=${stack.operatorToken}`);
    await linked.getByTestId('who').waitFor();
    expect(linked.url()).toBe(`${stack.baseUrl}/#/`);
    expect(linked.url()).not.toContain(stack.operatorToken);
    expect(await linked.evaluate("sessionStorage.getItem('upshift.token')")).toBe(stack.operatorToken);
    await linked.close();
  });

  it('follows a canary execution live on the list and its page, and promotes the canary from the page', async () => {
    const list = await signedIn(stack.operatorToken);
    await list.locator('[data-stream-state="live"]').waitFor();
    const created = await createUpgrade('2.1.0', '2.2.2', {
      strategy: 'CANARY',
      canaryPercentage: 20,
      autoRollbackEnabled: true,
      failureThreshold: 2,
    });
    // The tenant's stream brings the new execution onto the list without a reload.
    const row = list.locator(`tr[data-execution="${created.id}"]`);
    await row.locator('[data-status="PENDING"]').waitFor();

    const page = await signedIn(stack.operatorToken, executionRoute(created.id));
    await headlineStatus(page, 'PENDING');
    expect(await page.getByRole('button', { name: 'Cancel upgrade' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Promote canary' }).count()).toBe(0);

    await client.operate(created.id, 'start');
    // The execution stream moves the page along: validation, the canaries upgraded, then monitoring.
    await headlineStatus(page, 'CANARY_MONITORING');
    await page.locator('figure.canary figcaption').waitFor();
    expect(await page.locator('.cells [data-status="COMPLETED"]').count()).toBe(2);
    expect(await page.locator('.cells [data-status="PENDING"]').count()).toBe(INSTANCES - 2);
    const timeline = await page.getByTestId('timeline').textContent();
    for (const status of ['pending', 'validating', 'canary running', 'canary monitoring']) {
      expect(timeline).toContain(status);
    }
    await row.locator('[data-status="CANARY_MONITORING"]').waitFor();
    expect(await list.locator('[data-counter="active"]').textContent()).toBe('1');
    await page.screenshot({ path: join(IMAGES, 'dashboard-execution-running.png'), fullPage: true });

    await page.getByRole('button', { name: 'Promote canary' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote the canary?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Promote canary' }).click();
    await page.getByRole('status').filter({ hasText: 'Promote canary: done, now IN_PROGRESS.' }).waitFor();
    await headlineStatus(page, 'COMPLETED');
    expect(await page.locator('.cells [data-status="COMPLETED"]').count()).toBe(INSTANCES);
    expect(await page.locator('.actions button').count()).toBe(0);
    expect(await page.getByTestId('transcript').locator('li').count()).toBeGreaterThan(0);
    await row.locator('[data-status="COMPLETED"]').waitFor();
    expect(await list.locator('[data-counter="completed"]').textContent()).toBe('1');
    await Promise.all([list.close(), page.close()]);
    await stack.inventoryMatchesFleet();
  });

  it('shows an automatic rollback: the failures with their reasons, the rollback and the timeline', async () => {
    const names = stack.fleet.instances.map((instance) => instance.name).sort();
    // The planner takes instances in name order: the first batch's two fail their health checks.
    stack.fleet.setFaults({ unhealthyAfterUpgrade: { instances: names.slice(0, 2) } });
    try {
      const created = await createUpgrade('2.2.2', '3.0.0', {
        strategy: 'ROLLING',
        autoRollbackEnabled: true,
        failureThreshold: 2,
      });
      const page = await signedIn(stack.operatorToken, executionRoute(created.id));
      await headlineStatus(page, 'PENDING');
      await client.operate(created.id, 'start');
      await headlineStatus(page, 'ROLLED_BACK');
      const rollback = await page.getByTestId('rollback').textContent();
      expect(rollback).toContain('system:auto-rollback');
      const failures = await page.getByTestId('failures').textContent();
      for (const name of names.slice(0, 2)) expect(failures).toContain(name);
      const timeline = await page.getByTestId('timeline').textContent();
      expect(timeline).toContain('rolling back');
      expect(timeline).toContain('rolled back');
      expect(await page.locator('.actions button').count()).toBe(0);
      await page.screenshot({ path: join(IMAGES, 'dashboard-execution-rolled-back.png'), fullPage: true });
      await page.close();
    } finally {
      stack.fleet.setFaults({});
    }
    await stack.inventoryMatchesFleet();
  });

  it('shows a viewer no operation buttons; an operator cancels only after confirming', async () => {
    const created = await createUpgrade('2.2.2', '3.0.0', { strategy: 'ROLLING' });

    const viewer = await signedIn(viewerToken, executionRoute(created.id));
    await headlineStatus(viewer, 'PENDING');
    expect(await viewer.getByTestId('who').textContent()).toContain('viewer');
    expect(await viewer.locator('.actions button').count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Cancel upgrade' }).count()).toBe(0);

    const operator = await signedIn(stack.operatorToken, executionRoute(created.id));
    await headlineStatus(operator, 'PENDING');
    await operator.getByRole('button', { name: 'Cancel upgrade' }).click();
    const dialog = operator.getByRole('dialog', { name: 'Cancel the upgrade?' });
    await dialog.getByRole('button', { name: 'Keep it as it is' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await client.get(created.id)).status).toBe('PENDING');

    await operator.getByRole('button', { name: 'Cancel upgrade' }).click();
    await dialog.getByRole('button', { name: 'Cancel upgrade' }).click();
    await headlineStatus(operator, 'CANCELLED');
    expect((await client.get(created.id)).status).toBe('CANCELLED');
    // The viewer's page follows the same stream.
    await headlineStatus(viewer, 'CANCELLED');
    await Promise.all([viewer.close(), operator.close()]);
  });

  it('lists the catalog, the available upgrades of a version, and validates a path', async () => {
    const page = await signedIn(viewerToken, '#/catalog');
    await page.getByRole('button', { name: 'upshift-gateway' }).click();
    await page.getByRole('heading', { name: 'Versions of upshift-gateway' }).waitFor();
    await page.getByRole('button', { name: 'show available upgrades from 2.1.0' }).click();
    const targets = page.locator('.targets').first();
    await targets.waitFor();
    expect(await targets.textContent()).toContain('2.2.2');

    await page.getByLabel('From version').selectOption({ label: '1.2.0' });
    await page.getByLabel('To version').selectOption({ label: '3.0.0' });
    await page.getByLabel('Installed beside it').fill('kafka=3.6.0, postgresql=16.1.0');
    await page.getByRole('button', { name: 'Validate' }).click();
    const refused = await page.getByTestId('path-result').textContent();
    expect(refused).toContain('Not valid');
    expect(refused).toContain('blocker');

    await page.getByLabel('From version').selectOption({ label: '2.1.0' });
    await page.getByLabel('To version').selectOption({ label: '2.2.2' });
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByTestId('path-result').filter({ hasText: 'Valid:' }).waitFor();
    await page.close();
  });
});
