#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379 for Engram's tests and CI: starts one (keeping
# nothing on disk) only when `redis-cli ping` fails. Idempotent; one line of output per step.
#
# Environment (optional): ENGRAM_REDIS_PORT (default 6379).
set -euo pipefail

PORT=${ENGRAM_REDIS_PORT:-6379}
step() { printf '[setup-redis] %s\n' "$*"; }
die() { printf '[setup-redis] ERROR: %s\n' "$*" >&2; exit 1; }
ping_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ]; }

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  [ "$(id -u)" -eq 0 ] || die "redis-server is not installed (apt-get install redis-server, as root)"
  policy=$(apt-cache policy redis-server 2>/dev/null || true)
  [[ $policy == *"Candidate: "[0-9]* ]] || DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1
  step "redis: installed redis-server"
fi

if ping_ok; then
  step "redis: already answering on 127.0.0.1:$PORT"
  exit 0
fi

mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$PORT" --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log
for _ in $(seq 1 50); do ping_ok && break; sleep 0.1; done
ping_ok || die "redis-server started but 127.0.0.1:$PORT does not answer (see /var/log/redis/ci.log)"
step "redis: started redis-server on 127.0.0.1:$PORT (no persistence, log /var/log/redis/ci.log)"
