#!/usr/bin/env bash
# `npm run test:deploy`: proves the images and docker-compose.yml (README, "Deploy"; ADR 0087). It
#   1. makes sure the base images exist (pulls them, or builds them from Debian packages with
#      deploy/build-base-image.sh where no registry is reachable),
#   2. builds every service image from the checkout (what .dockerignore lets through: no node_modules,
#      no dist), timing each,
#   3. brings the compose stack up under a project of its own, on free host ports, and waits for every
#      container's HEALTHCHECK,
#   4. upgrades the simulated fleet 2.1.0 → 2.2.2 through the orchestrator's REST API from the host,
#      reads the progress events from the host through the broker's published listener (kcat), and
#      reads the execution back with the `upshift` CLI inside the orchestrator's image,
#   5. scrapes /metrics of every service whose code serves it (it fails when one that should does not),
#   6. tears everything down (containers, network, volumes),
#   7. runs libs/testcontainers' tests against the images just built (`npm run test:testcontainers`:
#      Upshift started from the host with @upshift/testcontainers, an upgrade followed on
#      upgrade.progress with kafkajs; docs/adr/0090-testcontainers-module.md), and prints image sizes,
#      build times and the figures.
# Needs a Docker engine, docker-compose, curl, jq and kcat. Exit 0 only when every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=${UPSHIFT_DEPLOY_PROJECT:-upshift-deploy-test}
TAG=${UPSHIFT_DEPLOY_TAG:-deploy-test}
TENANT=550e8400
TARGETS=(kafka-broker registry orchestrator worker fleet-sim)
started=$SECONDS

log() { echo "[test:deploy] $*"; }
die() {
  echo "[test:deploy] FAILED: $*" >&2
  exit 1
}

for tool in docker docker-compose curl jq kcat; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install -y docker.io docker-compose curl jq kcat)"
done
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd)"

# Host ports nobody listens on, so that the stack runs beside `npm run up` or another stack.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
export UPSHIFT_TAG=$TAG
export UPSHIFT_ORCHESTRATOR_PORT=$(free_port) UPSHIFT_REGISTRY_PORT=$(free_port) UPSHIFT_KAFKA_PORT=$(free_port)
export AUTH_JWT_SECRET=$(openssl rand -hex 32) AGENT_AUTH_KEY=$(openssl rand -hex 32)
export LOG_LEVEL=${LOG_LEVEL:-info}
compose() { docker-compose -p "$PROJECT" "$@"; }

# The file parses with and without the kafka profile (Apache Kafka itself cannot be pulled here).
compose config -q || die "docker-compose.yml does not parse"
KAFKA_BROKERS=kafka:9092 compose --profile kafka config -q || die "docker-compose.yml --profile kafka does not parse"

# ---- 1. base images --------------------------------------------------------------------------------
missing=()
for pair in node:node:20-bookworm-slim postgres:postgres:15 redis:redis:7; do
  name=${pair%%:*} image=${pair#*:}
  docker image inspect "$image" >/dev/null 2>&1 && continue
  if timeout 60 docker pull -q "$image" >/dev/null 2>&1; then
    log "pulled $image"
  else
    missing+=("$name")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "no registry gave ${missing[*]}: building from Debian packages (deploy/build-base-image.sh)"
  base_started=$SECONDS
  bash deploy/build-base-image.sh "${missing[@]}"
  log "base images built in $((SECONDS - base_started)) s"
fi

# ---- 2. service images -----------------------------------------------------------------------------
# The CA certificates this machine added itself (a TLS-inspecting proxy before the npm registry) are
# trusted by the build's npm too (deploy/build-ca/README.md); git-ignored, never in a service image.
for ca in /usr/local/share/ca-certificates/*.crt; do
  [ -f "$ca" ] && cp "$ca" deploy/build-ca/
done
declare -A build_seconds
for target in "${TARGETS[@]}"; do
  t0=$SECONDS
  log "building upshift/$target:$TAG"
  docker build -q -f deploy/Dockerfile --target "$target" -t "upshift/$target:$TAG" . >/tmp/upshift-deploy-build.log 2>&1 || {
    tail -n 40 /tmp/upshift-deploy-build.log >&2
    die "docker build --target $target"
  }
  build_seconds[$target]=$((SECONDS - t0))
done

# ---- 3. the stack ----------------------------------------------------------------------------------
teardown() {
  local code=$?
  if [ $code -ne 0 ]; then
    log "service logs (last 40 lines each):"
    compose logs --no-color --tail=40 >&2 || true
  fi
  log "tearing down"
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  exit $code
}
compose down -v --remove-orphans >/dev/null 2>&1 || true
trap teardown EXIT
t0=$SECONDS
log "docker-compose up -d (project $PROJECT; orchestrator on 127.0.0.1:$UPSHIFT_ORCHESTRATOR_PORT, broker on 127.0.0.1:$UPSHIFT_KAFKA_PORT)"
compose up -d --no-build >/tmp/upshift-deploy-up.log 2>&1 || {
  cat /tmp/upshift-deploy-up.log >&2
  die "docker-compose up"
}
containers=$(compose ps -q)
[ "$(wc -w <<<"$containers")" -eq 8 ] || die "expected 8 containers, got: $(compose ps)"
deadline=$((SECONDS + 240))
while :; do
  unhealthy=()
  for id in $containers; do
    state=$(docker inspect -f '{{.Name}}:{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
    [ "${state##*:}" = healthy ] || unhealthy+=("$state")
  done
  [ ${#unhealthy[@]} -eq 0 ] && break
  [ $SECONDS -lt $deadline ] || die "not healthy after 240 s: ${unhealthy[*]}"
  sleep 2
done
up_seconds=$((SECONDS - t0))
log "every container healthy after $up_seconds s"

# ---- 4. an upgrade through the stack ---------------------------------------------------------------
TOKEN=$(compose exec -T orchestrator node dist/scripts/token.js --sub deploy-test --tenants "$TENANT" --roles operator --ttl 1h)
B=http://127.0.0.1:$UPSHIFT_ORCHESTRATOR_PORT/api/v1/registry
AUTH="authorization: Bearer $TOKEN"
GW=$(curl -sf "$B/components" -H "$AUTH" | jq -r '.[] | select(.name == "upshift-gateway") | .id')
[ -n "$GW" ] || die "the demo catalog has no upshift-gateway"
version_id() { curl -sf "$B/components/$GW/versions" -H "$AUTH" | jq -r --arg v "$1" '.[] | select(.version == $v) | .id'; }
BODY=$(jq -n --arg c "$GW" --arg from "$(version_id 2.1.0)" --arg to "$(version_id 2.2.2)" '{
  componentId: $c, fromVersionId: $from, toVersionId: $to, strategy: "ROLLING", totalInstances: 20,
  batchDelaySeconds: 1, healthCheckIntervalSeconds: 1, autoRollbackEnabled: true,
  installedComponents: {kafka: "3.7.0", postgresql: "15.4.0"}, initiatedBy: "test-deploy@example.com"}')
EX=$(curl -sf -X POST "$B/tenants/$TENANT/upgrades" -H "$AUTH" -H 'content-type: application/json' -d "$BODY" | jq -r .id)
[ -n "$EX" ] && [ "$EX" != null ] || die "POST /tenants/$TENANT/upgrades created nothing"
t0=$SECONDS
curl -sf -X POST "$B/upgrades/$EX/start" -H "$AUTH" >/dev/null || die "POST /upgrades/$EX/start"
deadline=$((SECONDS + 300))
until curl -sf "$B/upgrades/$EX" -H "$AUTH" | jq -e '.status | IN("COMPLETED", "FAILED", "ROLLED_BACK", "CANCELLED")' >/dev/null; do
  [ $SECONDS -lt $deadline ] || die "execution $EX did not finish within 300 s"
  sleep 1
done
upgrade_seconds=$((SECONDS - t0))
RESULT=$(curl -sf "$B/upgrades/$EX" -H "$AUTH" | jq -c '{status, completedInstances, failedInstances}')
log "execution $EX: $RESULT in $upgrade_seconds s"
[ "$(jq -r .status <<<"$RESULT")" = COMPLETED ] || die "the upgrade ended $(jq -r .status <<<"$RESULT")"
[ "$(jq -r .completedInstances <<<"$RESULT")" = 20 ] || die "expected 20 completed instances: $RESULT"

# From the host, through the broker's published listener (it advertises 127.0.0.1:UPSHIFT_KAFKA_PORT).
events=$(kcat -b "127.0.0.1:$UPSHIFT_KAFKA_PORT" -C -t upgrade.progress -o beginning -e -q |
  jq -c --arg ex "$EX" 'select(.executionid == $ex) | .sequence' | wc -l)
[ "$events" -gt 0 ] || die "kcat read no progress event of $EX from 127.0.0.1:$UPSHIFT_KAFKA_PORT"
log "kcat on the host read $events progress events of $EX"

# The CLI inside the image, against the orchestrator from within the network.
cli_status=$(compose exec -T -e UPSHIFT_TOKEN="$TOKEN" -e UPSHIFT_URL=http://127.0.0.1:8084 orchestrator \
  upshift get "$EX" -o json | jq -r .status)
[ "$cli_status" = COMPLETED ] || die "upshift get $EX in the orchestrator image said $cli_status"
log "upshift get $EX (inside the orchestrator image): $cli_status"

# ---- 5. /metrics -----------------------------------------------------------------------------------
# Scraped from inside each container (the worker's health port and the broker's metrics port are not
# published). A service is expected to serve /metrics once its code does (docs/adr/0086-metrics-endpoints.md).
scrape() {
  local service=$1 url=$2
  compose exec -T "$service" node -e '
    fetch(process.argv[1]).then(async (r) => {
      const text = await r.text();
      const families = text.split("\n").filter((l) => l.startsWith("# TYPE ")).length;
      if (!r.ok || families === 0) { console.error(`HTTP ${r.status}, ${families} metric families`); process.exit(1); }
      console.log(families);
    }, (e) => { console.error(e.message); process.exit(1); });' "$url"
}
declare -A metrics_url=(
  [orchestrator]=http://127.0.0.1:8084/metrics
  [registry]=http://127.0.0.1:8085/metrics
  [worker-1]=http://127.0.0.1:8087/metrics
  [worker-2]=http://127.0.0.1:8087/metrics
  [broker]=http://127.0.0.1:9404/metrics
)
scraped=()
for service in orchestrator registry worker-1 worker-2 broker; do
  families=$(scrape "$service" "${metrics_url[$service]}") || die "$service: no /metrics at ${metrics_url[$service]}"
  scraped+=("$service:$families")
done
log "metrics: ${scraped[*]:-none} (metric families per service)"

# ---- 6. figures ------------------------------------------------------------------------------------
trap - EXIT
log "tearing down"
compose down -v --remove-orphans >/dev/null 2>&1

# ---- 7. the testcontainers module ------------------------------------------------------------------
t0=$SECONDS
log "npm run test:testcontainers (UPSHIFT_TAG=$TAG)"
UPSHIFT_TAG=$TAG npm run -s test:testcontainers || die "libs/testcontainers' tests (npm run test:testcontainers)"
testcontainers_seconds=$((SECONDS - t0))
echo
printf '%-34s %10s %10s\n' image size "build (s)"
for target in "${TARGETS[@]}"; do
  size=$(docker image inspect -f '{{.Size}}' "upshift/$target:$TAG")
  printf '%-34s %7s MB %10s\n' "upshift/$target:$TAG" $((size / 1000000)) "${build_seconds[$target]}"
done
echo
log "stack healthy in $up_seconds s; upgrade of 20 instances COMPLETED in $upgrade_seconds s; testcontainers tests $testcontainers_seconds s; total $((SECONDS - started)) s"
sizes=$(for target in "${TARGETS[@]}"; do
  printf '"%s":%s,' "$target" "$(docker image inspect -f '{{.Size}}' "upshift/$target:$TAG")"
done)
builds=$(for target in "${TARGETS[@]}"; do printf '"%s":%s,' "$target" "${build_seconds[$target]}"; done)
echo "RESULT {\"imageBytes\":{${sizes%,}},\"buildSeconds\":{${builds%,}},\"upSeconds\":$up_seconds,\"upgradeSeconds\":$upgrade_seconds,\"testcontainersSeconds\":$testcontainers_seconds,\"totalSeconds\":$((SECONDS - started))}"
