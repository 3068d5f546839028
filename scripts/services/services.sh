#!/usr/bin/env bash
# Panecast's backing services for development and tests, without Docker: Kafka, Redis,
# VictoriaMetrics (daemons on loopback) and Chromium (installed only, for Playwright).
#
#   bash scripts/services/services.sh up      [svc...]  install if needed, start, wait until each answers
#   bash scripts/services/services.sh down    [svc...]  stop what `up` started (pid files only)
#   bash scripts/services/services.sh restart [svc...]  down, then up (Kafka keeps its data)
#   bash scripts/services/services.sh status  [svc...]  address and whether it answers (exit 1 if not)
#   bash scripts/services/services.sh env     [svc...]  export lines: eval "$(bash scripts/services/services.sh env)"
#
# svc: kafka, redis, victoriametrics (or vm), chromium; default all.
# Through npm use `npm run -s services -- env`: without -s npm prints its own banner on stdout.
# Settings (env): PANECAST_CACHE_DIR, PANECAST_SERVICES_DIR, PANECAST_KAFKA_PORT,
# PANECAST_REDIS_PORT, PANECAST_VM_PORT, PANECAST_SERVICES_TIMEOUT (see lib.sh and the
# per-service files).
set -eu -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
for f in lib kafka redis victoriametrics chromium; do . "$here/$f.sh"; done
ALL=(kafka redis victoriametrics chromium)

usage() { sed -n '5,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
is_daemon() { [ "$1" != chromium ]; }

# The port(s) are checked before a start because a foreign server on our port (another
# clone's Kafka, say) would answer the readiness check while our own process dies on bind.
_up_locked() {
  local svc=$1 pid p t0=$SECONDS
  if pid=$(our_pid "$svc"); then
    if "${svc}_check"; then log "$svc: already running at $("${svc}_addr") (pid $pid)"; return 0; fi
    log "$svc: started (pid $pid) but not answering yet, waiting"
    wait_ready "$svc" "${svc}_check" || return 1
  else
    rm -f "$(pid_file "$svc")"
    for p in $("${svc}_ports"); do
      port_busy "$p" && { log "$svc: port $p is already in use by a process this script did not start"; return 1; }
    done
    "${svc}_start" || return 1
    wait_ready "$svc" "${svc}_check" || return 1
  fi
  log "$svc: up at $("${svc}_addr") (pid $(our_pid "$svc"), ready in $((SECONDS - t0))s)"
}

cmd_up() {
  local svc t0
  for svc in "$@"; do
    t0=$SECONDS
    "${svc}_install" || exit 1
    ((SECONDS - t0 > 1)) && log "$svc: installed in $((SECONDS - t0))s"
    if is_daemon "$svc"; then
      with_lock "$STATE/run/$svc.lock" _up_locked "$svc" || exit 1
    else
      log "$svc: installed at $("${svc}_addr") ($(_chromium_version))"
    fi
  done
}

cmd_down() {
  local i svc
  for ((i = $# ; i > 0; i--)); do # reverse order of `up`
    svc=${!i}
    is_daemon "$svc" && with_lock "$STATE/run/$svc.lock" stop_daemon "$svc"
  done
  return 0
}

cmd_status() {
  local svc pid state rc=0
  for svc in "$@"; do
    if ! is_daemon "$svc"; then
      state=$(_chromium_version) || { state=missing; rc=1; }
    elif "${svc}_check"; then
      pid=$(our_pid "$svc") && state="answering (pid $pid)" || state="answering (not started by this clone)"
    else
      state="not answering"; rc=1
      pid=$(our_pid "$svc") && state+=" (pid $pid is running, see $STATE/logs/$svc.log)"
    fi
    printf '%-16s %-28s %s\n' "$svc" "$("${svc}_addr")" "$state"
  done
  return $rc
}

cmd_env() { local svc; for svc in "$@"; do "${svc}_env"; done; }

[ $# -ge 1 ] || usage
cmd=$1; shift
[ $# -gt 0 ] || set -- "${ALL[@]}"
svcs=()
for s in "$@"; do
  case $s in
    kafka | redis | victoriametrics | chromium) svcs+=("$s") ;;
    vm) svcs+=(victoriametrics) ;;
    *) log "unknown service '$s' (known: ${ALL[*]})"; exit 2 ;;
  esac
done
case $cmd in
  up) cmd_up "${svcs[@]}" ;;
  down) cmd_down "${svcs[@]}" ;;
  restart) cmd_down "${svcs[@]}"; cmd_up "${svcs[@]}" ;;
  status) cmd_status "${svcs[@]}" ;;
  env) cmd_env "${svcs[@]}" ;;
  -h | --help | help) usage ;;
  *) log "unknown command '$cmd'"; usage ;;
esac
