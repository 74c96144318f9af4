#!/usr/bin/env bash
# Makes the local PostgreSQL ready for Engram's tests and CI:
#   - starts the cluster if it is not running;
#   - makes the pgvector extension available to the running server's major version, building it
#     from Debian trixie's source package with PGXS when the distribution has no binary package
#     (bookworm has none);
#   - makes sure the database "test" exists, has the extension, and the current user has a role.
# Idempotent: when the extension is already available the build is skipped (takes seconds).
# The build needs root (CI runs as root); the fast path does not. One line of output per step.
#
# Environment (all optional):
#   PGHOST / PGPORT          server to use (default 127.0.0.1:5432)
#   ENGRAM_PG_CLUSTER        Debian cluster to start when the server is down (default main)
#   ENGRAM_PG_ADMIN          admin role to connect as (default postgres)
#   ENGRAM_TEST_DB           database to prepare (default test)
#   ENGRAM_PGVECTOR_SUITE    Debian suite to take the pgvector source package from (default trixie)
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
CLUSTER=${ENGRAM_PG_CLUSTER:-main}
ADMIN=${ENGRAM_PG_ADMIN:-postgres}
TEST_DB=${ENGRAM_TEST_DB:-test}
SRC_SUITE=${ENGRAM_PGVECTOR_SUITE:-trixie}
SRC_LIST=/etc/apt/sources.list.d/engram-${SRC_SUITE}-src.sources
SRC_PIN=/etc/apt/preferences.d/engram-${SRC_SUITE}-src
export DEBIAN_FRONTEND=noninteractive PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5}

started=${EPOCHREALTIME/[.,]/}
# Seconds since $1 (a ${EPOCHREALTIME} with the dot removed), to one decimal.
elapsed() { local us=$(( ${EPOCHREALTIME/[.,]/} - $1 )); printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000)); }
step() { printf '[setup-postgres] %s\n' "$*"; }
die() { printf '[setup-postgres] ERROR: %s\n' "$*" >&2; exit 1; }
# psql as the admin role over TCP; -X ignores ~/.psqlrc, ON_ERROR_STOP makes SQL errors fatal.
psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$ADMIN" "$@"; }
# Runs a command with its output in a log file; shows the log's tail only if it fails.
quietly() {
  local log rc=0
  log=$(mktemp /tmp/engram-setup-postgres.XXXXXX.log)
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then tail -n 40 "$log" >&2; rm -f "$log"; die "failed ($rc): $*"; fi
  rm -f "$log"
}

command -v psql >/dev/null || die "psql not found: install PostgreSQL (postgresql, postgresql-client) first"

# --- 1. server running -------------------------------------------------------------------------
if pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  step "postgresql: already accepting connections on $PGHOST:$PGPORT"
else
  version=${PG_MAJOR:-$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
  [ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" start
  for _ in $(seq 1 60); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 0.5; done
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "cluster $version/$CLUSTER started but $PGHOST:$PGPORT does not answer"
  step "postgresql: started cluster $version/$CLUSTER"
fi
psql_admin -d postgres -Atc 'SELECT 1' >/dev/null \
  || die "cannot connect as role '$ADMIN' to $PGHOST:$PGPORT (trust authentication expected)"
server_num=$(psql_admin -d postgres -Atc 'SHOW server_version_num')
PG_MAJOR=$((server_num / 10000))

# --- 2. pgvector available ---------------------------------------------------------------------
vector_available() {
  [ "$(psql_admin -d postgres -Atc "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")" = 1 ]
}

# The URI of the machine's own Debian mirror: the active (uncommented, enabled) "deb" entry whose
# suite is exactly this release's codename, from deb822 .sources files or one-line .list files.
# Prints "URI<TAB>Signed-By" (Signed-By only when it names a keyring file).
debian_mirror() {
  local codename=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    if [ ! -f "$f" ] || [ "$f" = "$SRC_LIST" ]; then continue; fi
    awk -v cn="$codename" '
      function flush() {
        if (!found && uris != "" && tolower(enabled) != "no" &&
            (" " types " ") ~ / deb / && (" " suites " ") ~ (" " cn " ")) {
          split(uris, u, /[ \t]+/); print u[1] "\t" (signed ~ /^\// ? signed : ""); found = 1
        }
        types = suites = uris = enabled = signed = ""
      }
      /^[ \t]*#/ { next }                # comments (e.g. a commented-out snapshot URL)
      /^[ \t]*$/ { flush(); next }       # end of a stanza
      /^[ \t]/   { next }                # continuation lines (inline keys)
      {
        key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        sub(/[ \t]+$/, "", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "enabled") enabled = val
        else if (key == "signed-by") signed = val
      }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" \
      | awk -v cn="$codename" '$1 == "deb" && $3 == cn { print $2 "\t"; exit }'
  done
}

pkg_installed() { dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

build_pgvector() {
  local codename mirror signed pg_config policy pkgs=() p tmp srcdir
  [ "$(id -u)" -eq 0 ] || die "pgvector is not installed and building it needs root: run this script as root"
  # shellcheck disable=SC1091
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || die "cannot tell the Debian codename from /etc/os-release"
  IFS=$'\t' read -r mirror signed < <(debian_mirror "$codename" | head -n 1) || true
  [ -n "${mirror:-}" ] || die "no active 'deb' source for $codename found in /etc/apt/sources.list{,.d}"

  # deb-src only: no binary package of $SRC_SUITE can be installed from this entry, and the pin
  # keeps it that way should anyone add a "deb" line for that suite later.
  cat >"$SRC_LIST.tmp" <<SRC
# Written by Engram's scripts/setup-postgres.sh: $SRC_SUITE SOURCE packages only (to build pgvector),
# from the same mirror as this machine's $codename entry.
Types: deb-src
URIs: $mirror
Suites: $SRC_SUITE
Components: main
${signed:+Signed-By: $signed}
SRC
  mv "$SRC_LIST.tmp" "$SRC_LIST"
  cat >"$SRC_PIN" <<PIN
Explanation: Engram's scripts/setup-postgres.sh: $SRC_SUITE is here for source packages only
Package: *
Pin: release n=$SRC_SUITE
Pin-Priority: -1
PIN
  step "apt: deb-src $SRC_SUITE main from $mirror ($SRC_LIST, pinned -1)"

  # Refresh only that entry; keep every other list as it is (List-Cleanup=0).
  quietly apt-get update -o Dir::Etc::SourceList="$SRC_LIST" -o Dir::Etc::SourceParts=- \
    -o APT::Get::List-Cleanup=0
  step "apt: fetched the $SRC_SUITE source index"

  for p in "postgresql-server-dev-$PG_MAJOR" build-essential dpkg-dev; do
    pkg_installed "$p" || pkgs+=("$p")
  done
  if [ ${#pkgs[@]} -gt 0 ]; then
    policy=$(apt-cache policy "postgresql-server-dev-$PG_MAJOR" 2>/dev/null || true)
    if [[ $policy != *"Candidate: "[0-9]* ]]; then
      quietly apt-get update   # no package lists yet (fresh image)
      step "apt: updated the package lists"
    fi
    quietly apt-get install -y --no-install-recommends "${pkgs[@]}"
    step "apt: installed ${pkgs[*]}"
  else
    step "apt: build dependencies already installed"
  fi
  pg_config=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
  [ -x "$pg_config" ] || die "$pg_config missing after installing postgresql-server-dev-$PG_MAJOR"

  tmp=$(mktemp -d /tmp/engram-pgvector.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  chmod 755 "$tmp"   # apt downloads as the _apt user
  (cd "$tmp" && apt-get source --only-source "pgvector/$SRC_SUITE") >"$tmp/source.log" 2>&1 \
    || { tail -n 20 "$tmp/source.log" >&2; die "apt-get source pgvector/$SRC_SUITE failed"; }
  srcdir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)
  [ -n "$srcdir" ] || die "apt-get source unpacked no pgvector-* directory"
  step "pgvector: fetched source $(basename "$srcdir")"

  # OPTFLAGS= drops upstream's -march=native, as Debian's own build does.
  make -s -C "$srcdir" USE_PGXS=1 PG_CONFIG="$pg_config" OPTFLAGS= -j"$(nproc)" >"$tmp/build.log" 2>&1 \
    || { tail -n 40 "$tmp/build.log" >&2; die "pgvector build failed"; }
  make -s -C "$srcdir" USE_PGXS=1 PG_CONFIG="$pg_config" OPTFLAGS= install >>"$tmp/build.log" 2>&1 \
    || { tail -n 40 "$tmp/build.log" >&2; die "pgvector install failed"; }
  step "pgvector: built and installed into $("$pg_config" --pkglibdir) with PGXS ($pg_config)"
  rm -rf "$tmp"; trap - EXIT
}

if vector_available; then
  step "pgvector: already available to PostgreSQL $PG_MAJOR, build skipped"
else
  build_t0=${EPOCHREALTIME/[.,]/}
  build_pgvector
  vector_available || die "pgvector installed but PostgreSQL $PG_MAJOR does not list it"
  step "pgvector: now available to PostgreSQL $PG_MAJOR (build took $(elapsed "$build_t0") s)"
fi

# --- 3. database, role, extension --------------------------------------------------------------
if [ "$(psql_admin -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$TEST_DB'")" = 1 ]; then
  step "database: $TEST_DB already exists"
else
  psql_admin -d postgres -c "CREATE DATABASE \"$TEST_DB\""
  step "database: created $TEST_DB"
fi

me=$(id -un)
if [ "$me" = "$ADMIN" ]; then
  step "role: current user is $ADMIN"
elif [ "$(psql_admin -d postgres -Atc "SELECT 1 FROM pg_roles WHERE rolname = '$me'")" = 1 ]; then
  step "role: $me already exists"
else
  psql_admin -d postgres -c "CREATE ROLE \"$me\" LOGIN CREATEDB"
  psql_admin -d postgres -c "GRANT ALL ON DATABASE \"$TEST_DB\" TO \"$me\""
  step "role: created $me (LOGIN CREATEDB, all privileges on $TEST_DB)"
fi

psql_admin -d "$TEST_DB" -c 'CREATE EXTENSION IF NOT EXISTS vector'
ext_version=$(psql_admin -d "$TEST_DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "postgres://$ADMIN@$PGHOST:$PGPORT/$TEST_DB" \
  -Atc "SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector" >/dev/null \
  || die "postgres://$ADMIN@$PGHOST:$PGPORT/$TEST_DB cannot use the vector type"
step "extension: vector $ext_version in $TEST_DB, usable via postgres://$ADMIN@$PGHOST:$PGPORT/$TEST_DB"
step "done in $(elapsed "$started") s"
