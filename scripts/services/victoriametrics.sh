# shellcheck shell=bash
# VictoriaMetrics single-node, built from source at a pinned release with `go install`
# (no Debian package, no Docker). The build takes about a minute on 2 cores, so the binary is
# cached per version outside the clone.

VM_VERSION=v1.151.0
VM_PORT=${PANECAST_VM_PORT:-18428}
VM_GOBIN=$CACHE/victoria-metrics-$VM_VERSION/bin
VM_BIN=$VM_GOBIN/victoria-metrics
VM_PKG=github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics

victoriametrics_addr() { echo "http://127.0.0.1:$VM_PORT"; }
victoriametrics_env() { echo "export PANECAST_VM_URL=$(victoriametrics_addr)"; }
victoriametrics_ports() { echo "$VM_PORT"; }  # checked free before a start

_vm_install_locked() {
  # Someone may already be running this very build into the same folder (e.g. a setup step
  # started by hand): wait for it rather than race it, then check whether it produced the binary.
  local waited=0
  while pgrep -f "go install $VM_PKG" >/dev/null; do
    ((waited++ % 30 == 0)) && log "victoriametrics: waiting for a running 'go install' of it to finish"
    sleep 2
  done
  [ -x "$VM_BIN" ] && return 0
  command -v go >/dev/null || die "victoriametrics: needs Go on PATH to build $VM_VERSION"
  log "victoriametrics: building $VM_VERSION with go install (about a minute)"
  # Go's module and build caches go to our cache too unless the user set them; -modcacherw
  # keeps the module cache deletable with a plain rm -rf.
  GOBIN=$VM_GOBIN GOMODCACHE=${GOMODCACHE:-$CACHE/go/mod} GOCACHE=${GOCACHE:-$CACHE/go/build} \
    GOFLAGS="${GOFLAGS:-} -modcacherw" go install "$VM_PKG@$VM_VERSION" >&2 || die "victoriametrics: go install failed"
}
victoriametrics_install() {
  apt_install curl curl # the health check uses it
  [ -x "$VM_BIN" ] && ! pgrep -f "go install $VM_PKG" >/dev/null && return 0 # fast path
  mkdir -p "$VM_GOBIN" && with_lock "$VM_GOBIN/../.lock" _vm_install_locked
}

# -search.latencyOffset=1s: the 30 s default hides the newest points from live dashboards.
# -search.disableCache: tests write and immediately query, including backfills.
# -dedup.minScrapeInterval=1ms: re-writing the same series+timestamp keeps one sample
#   (with ties VM keeps the biggest value) instead of two.
victoriametrics_start() {
  start_daemon victoriametrics "$VM_BIN" -httpListenAddr="127.0.0.1:$VM_PORT" \
    -storageDataPath="$STATE/victoriametrics" -retentionPeriod=30d -search.latencyOffset=1s \
    -search.disableCache -dedup.minScrapeInterval=1ms
}

victoriametrics_check() { [ "$(curl -fsS -m 2 "http://127.0.0.1:$VM_PORT/health" 2>/dev/null)" = OK ]; }
