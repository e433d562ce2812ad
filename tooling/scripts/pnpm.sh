#!/usr/bin/env bash
# Runs the pinned pnpm: the one on PATH when its version matches, else the copy setup.sh installed.
root="$(cd "$(dirname "$0")/../.." && pwd)"
want=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" = "$want" ]; then exec pnpm "$@"; fi
exec "$root/.cache/tools/node_modules/.bin/pnpm" "$@"
