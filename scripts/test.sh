#!/usr/bin/env bash
# `npm test`: set up, start the real services, run every suite, stop what it
# started. Exits non-zero on any failure. Suites run in order from fastest to
# slowest so a broken unit test fails in seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
services="$root/scripts/services/services.sh"
started_at=$(date +%s)

node scripts/setup.mjs --build=all

# Stop at the end only the services this run had to start.
to_stop=()
for svc in kafka redis victoriametrics; do
  if ! bash "$services" status "$svc" >/dev/null 2>&1; then
    to_stop+=("$svc")
  fi
done
cleanup() {
  local status=$?
  if [ ${#to_stop[@]} -gt 0 ]; then
    bash "$services" down "${to_stop[@]}" || true
  fi
  echo "test: finished in $(( $(date +%s) - started_at )) s with exit code $status"
  exit $status
}
trap cleanup EXIT
bash "$services" up
eval "$(bash "$services" env)"
export PANECAST_KAFKA_BROKERS PANECAST_REDIS_URL PANECAST_VM_URL PANECAST_CHROMIUM_PATH

suites=0
failed=0
suite() {
  local name=$1; shift
  echo "::: $name"
  suites=$((suites + 1))
  if "$@"; then
    echo "::: $name passed"
  else
    echo "::: $name FAILED"
    failed=$((failed + 1))
  fi
}

suite "typecheck" npm run typecheck --silent
suite "protocol (incl. fuzz)" npm test --silent -w protocol
suite "backend unit and embedded" npm test --silent -w backend
suite "plugin-datasource jest" npm run test:ci --silent -w plugin-datasource
suite "plugin-panel jest" npm run test:ci --silent -w plugin-panel
suite "plugin-host jest" npm test --silent -w plugin-host
suite "deploy checks (provisioning, compose, Dockerfile)" npm test --silent -w deploy-checks
suite "sdk (fake fetch, embedded collector)" npm test --silent -w sdk
suite "loadgen (embedded backend)" npm test --silent -w loadgen
suite "backend on real services" npm run test:services --silent -w backend
suite "sdk and loadgen on real services" bash -c 'npm run test:services --silent -w sdk && npm run test:services --silent -w loadgen'
suite "browser" npx playwright test

echo "suites: $((suites - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
