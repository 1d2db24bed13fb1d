/**
 * `npm run registry:seed`: loads the demo catalog into the registry at REGISTRY_URL
 * (default http://127.0.0.1:8085). Re-running it changes nothing that is already there.
 */
import { seedRegistry } from './seed-registry';

async function main(): Promise<void> {
  const registryUrl = process.env['REGISTRY_URL'] ?? 'http://127.0.0.1:8085';
  const result = await seedRegistry({
    registryUrl,
    keyFile: process.env['REGISTRY_SEED_KEY_FILE'],
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
