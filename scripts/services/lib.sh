# shellcheck shell=bash
# Shared helpers for services.sh. Sourced, never run directly.
#
# Two locations, both overridable:
# - CACHE: downloads and builds, keyed by version and kept OUTSIDE the clone, so a fresh
#   clone on the same machine (CI right after a dev run) reuses them instead of rebuilding.
# - STATE: this clone's runtime data, logs and pid files (git-ignored .services/).

SERVICES_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SERVICES_LIB_DIR/../.." && pwd)
CACHE=${PANECAST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/panecast}
STATE=${PANECAST_SERVICES_DIR:-$REPO_ROOT/.services}
# Seconds a daemon gets to answer after it is started (Kafka's first start is the slow one).
START_TIMEOUT=${PANECAST_SERVICES_TIMEOUT:-90}

# Everything we print goes to stderr so that `env` output on stdout stays eval-able.
log() { printf '[services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A pid counts as alive only if it exists and is not a zombie: an exited daemon that
# nobody reaped still passes `kill -0`, which would fool the readiness loop.
is_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# Every daemon is started with its working directory set to "$STATE/<svc>" (redis also
# chdirs there itself via --dir). That is how `down` recognises a process as ours even if
# its pid was reused: a pid whose cwd is not our state folder is never signalled.
# (Command lines are no good for this: redis-server rewrites its own.)
pid_file() { echo "$STATE/run/$1.pid"; }
our_pid() {
  local svc=$1 pid
  pid=$(cat "$(pid_file "$svc")" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && is_alive "$pid" &&
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$STATE/$svc" 2>/dev/null && pwd -P)" ] &&
    echo "$pid"
}

# Is something (anything) listening on 127.0.0.1:<port>? Used to refuse starting a second
# copy on a port another clone or a system service already holds.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_daemon <svc> <cmd...>: run cmd detached (own session, so Ctrl-C on `up` or the end
# of the calling test does not take it down), cwd = its state folder, output to its log
# (the previous run's log is kept as .1), and record its pid.
start_daemon() {
  local svc=$1; shift
  mkdir -p "$STATE/$svc" "$STATE/logs" "$STATE/run"
  local logf="$STATE/logs/$svc.log"
  [ -f "$logf" ] && mv -f "$logf" "$logf.1"
  # setsid does not fork here (we are not a process-group leader), so $! is the daemon.
  # fd 9 is with_lock's lock: closed so the daemon does not hold it for its whole life.
  (exec 9>&- && cd "$STATE/$svc" && exec setsid "$@" </dev/null >"$logf" 2>&1) &
  echo $! >"$(pid_file "$svc")"
}

# stop_daemon <svc>: TERM, wait up to 30 s (Kafka shuts down cleanly in a few), then KILL.
stop_daemon() {
  local svc=$1 pid i
  if ! pid=$(our_pid "$svc"); then
    rm -f "$(pid_file "$svc")"; log "$svc: not running"; return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 300; i++)); do is_alive "$pid" || break; sleep 0.1; done
  if is_alive "$pid"; then log "$svc: did not stop after TERM, sending KILL"; kill -KILL "$pid" 2>/dev/null; sleep 0.5; fi
  rm -f "$(pid_file "$svc")"
  log "$svc: stopped (pid $pid)"
}

# wait_ready <svc> <check-fn>: poll check-fn until it succeeds. Fails fast if the daemon
# died; on failure prints the tail of its log, stops it and returns non-zero.
wait_ready() {
  local svc=$1 check=$2 deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    "$check" && return 0
    our_pid "$svc" >/dev/null || { log "$svc: process exited during start-up"; break; }
    sleep 0.3
  done
  ((SECONDS >= deadline)) && log "$svc: no answer within ${START_TIMEOUT}s"
  log "$svc: last lines of $STATE/logs/$svc.log:"
  tail -n 40 "$STATE/logs/$svc.log" >&2
  stop_daemon "$svc"
  return 1
}

# apt_install <command> <package>: install a Debian package if its command is missing.
# Another apt run may hold the locks (e.g. one started by hand): `install` waits for the dpkg
# lock via DPkg::Lock::Timeout, but `update` ignores that option for its lists lock, so it is
# retried while the lock is busy. `update` runs only if the package is unknown (fresh machine).
apt_install() {
  local cmd=$1 pkg=$2 sudo=() i out
  command -v "$cmd" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -y -q)
  log "installing Debian package $pkg"
  "${apt[@]}" install "$pkg" >&2 && return 0
  for ((i = 0; i < 180; i++)); do
    out=$("${apt[@]}" update 2>&1) && break
    grep -q 'Could not get lock' <<<"$out" || { printf '%s\n' "$out" >&2; die "apt-get update failed"; }
    sleep 5
  done
  "${apt[@]}" install "$pkg" >&2 || die "apt-get install $pkg failed"
}

# with_lock <lock-file> <cmd...>: serialise concurrent runs (two `up`s from two terminals,
# two clones sharing the cache) on one install or one service: no double build or start.
with_lock() {
  local lockf=$1; shift
  mkdir -p "$(dirname "$lockf")"
  (flock 9 && "$@") 9>"$lockf"
}
