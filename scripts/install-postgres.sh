#!/usr/bin/env bash
# Install the PostgreSQL server binaries (Debian package) if initdb is missing.
# The tests start their own throwaway server with initdb/pg_ctl on 127.0.0.1.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries are missing: install the 'postgresql' package" >&2
    echo "(as root: apt-get install -y postgresql); the PostgreSQL tests need them." >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
