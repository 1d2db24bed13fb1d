#!/bin/sh
# docker-compose.yml's simulated fleet: loads the demo catalog into the registry (idempotent; its
# artifacts served by this fleet at FLEET_ADVERTISED_URL/artifacts, its signing key kept in
# REGISTRY_SEED_KEY_FILE on a volume), then starts the fleet registered for FLEET_TENANT_ID at
# FLEET_INITIAL_VERSION of FLEET_COMPONENT, with an operator token minted from AUTH_JWT_SECRET.
set -eu
cd /app
export REGISTRY_SEED_ARTIFACT_BASE_URL="$FLEET_ADVERTISED_URL/artifacts"
export REGISTRY_SEED_RESULT_FILE=/tmp/seed-result.json
node dist/apps/registry/src/seed/run-seed.js >/tmp/seed.log || {
  cat /tmp/seed.log >&2
  exit 1
}
ids=$(node -e '
  const [file, name, version] = process.argv.slice(1);
  const component = require(file).components[name];
  const seeded = component && component.versions[version];
  if (!seeded) throw new Error(`the demo catalog has no ${name} ${version}`);
  console.log(`${component.id} ${seeded.id}`);
' "$REGISTRY_SEED_RESULT_FILE" "$FLEET_COMPONENT" "$FLEET_INITIAL_VERSION")
FLEET_COMPONENT_ID=${ids% *}
FLEET_VERSION_ID=${ids#* }
FLEET_REGISTRY_TOKEN=$(node dist/scripts/token.js --sub fleet-sim --tenants "$FLEET_TENANT_ID" --roles operator --ttl 1h)
export FLEET_COMPONENT_ID FLEET_VERSION_ID FLEET_REGISTRY_TOKEN
echo "{\"msg\":\"demo catalog loaded\",\"component\":\"$FLEET_COMPONENT\",\"componentId\":\"$FLEET_COMPONENT_ID\",\"versionId\":\"$FLEET_VERSION_ID\"}"
exec node dist/apps/fleet-sim/src/main.js
