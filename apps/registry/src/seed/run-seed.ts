/**
 * `npm run registry:seed`: loads the demo catalog into the registry at REGISTRY_URL
 * (default http://127.0.0.1:8085). Re-running it changes nothing that is already there. It needs an admin
 * token: REGISTRY_TOKEN, or one it mints with AUTH_JWT_SECRET. REGISTRY_SEED_ARTIFACT_BASE_URL points the
 * versions' artifact URLs at a server that has them (a simulated fleet's `<base>/artifacts`), and
 * REGISTRY_SEED_RESULT_FILE receives the seeded ids as JSON, for a fleet to register with
 * (docker-compose.yml does both).
 */
import { writeFileSync } from 'fs';
import { serviceTokenSource } from '@upshift/http';
import { seedRegistry } from '@upshift/demo-catalog';

async function main(): Promise<void> {
  const registryUrl = process.env['REGISTRY_URL'] ?? 'http://127.0.0.1:8085';
  const token = await serviceTokenSource({
    staticToken: process.env['REGISTRY_TOKEN'],
    secret: process.env['AUTH_JWT_SECRET'],
    sub: 'registry-seed',
    roles: ['admin'],
    issuer: process.env['AUTH_ISSUER'],
    audience: process.env['AUTH_AUDIENCE'],
  })();
  const result = await seedRegistry({
    registryUrl,
    token,
    keyFile: process.env['REGISTRY_SEED_KEY_FILE'],
    artifactBaseUrl: process.env['REGISTRY_SEED_ARTIFACT_BASE_URL'] || undefined,
    log: (line) => console.log(JSON.stringify({ msg: line })),
  });
  const summary = Object.values(result.components).map((component) => ({
    component: component.name,
    id: component.id,
    versions: Object.values(component.versions).map(
      (v) => `${v.version} ${v.status}${v.signed ? ' signed' : ''}`,
    ),
  }));
  console.log(
    JSON.stringify(
      { msg: 'registry seeded', registryUrl, created: result.created, catalog: summary },
      null,
      2,
    ),
  );
  const resultFile = process.env['REGISTRY_SEED_RESULT_FILE'];
  if (resultFile)
    writeFileSync(resultFile, `${JSON.stringify({ components: result.components }, null, 2)}\n`);
  if (result.inconsistencies.length > 0) {
    // The registry already held versions its agents would refuse or not find (ADR 0073): fail loudly.
    console.error(
      JSON.stringify(
        { msg: 'the registry holds versions this seed cannot serve', problems: result.inconsistencies },
        null,
        2,
      ),
    );
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      msg: 'registry seed failed',
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exitCode = 1;
});
