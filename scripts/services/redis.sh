# shellcheck shell=bash
# Redis: Debian's redis-server (7.0), but our own instance on our own port and folder;
# never the system service, which may or may not be running on 6379.

REDIS_PORT=${PANECAST_REDIS_PORT:-16379}

redis_addr() { echo "127.0.0.1:$REDIS_PORT"; }
redis_env() { echo "export PANECAST_REDIS_URL=redis://$(redis_addr)"; }
redis_ports() { echo "$REDIS_PORT"; }  # checked free before a start
redis_install() { apt_install redis-server redis-server; }

# No persistence (--save '' --appendonly no): the tests treat Redis as a cache, and an RDB
# dump on shutdown would only make `down` slower. --daemonize no so the pid we record is
# redis itself; start_daemon detaches it.
redis_start() {
  start_daemon redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" \
    --daemonize no --save '' --appendonly no
}

redis_check() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
