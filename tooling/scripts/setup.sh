#!/usr/bin/env bash
# Brings what the demo and the tests need on a machine with only Node 20 and npm:
# pnpm at the pinned version, ffmpeg, Chromium and redis-server from apt, and the workspace's packages.
set -euo pipefail
cd "$(dirname "$0")/../.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ "$(.cache/tools/node_modules/.bin/pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
    echo "setup: installing pnpm@$PNPM_VERSION into .cache/tools"
    npm install --silent --no-audit --no-fund --prefix .cache/tools "pnpm@$PNPM_VERSION" >/dev/null
  fi
fi

apt_packages=()
command -v ffmpeg >/dev/null 2>&1 || apt_packages+=(ffmpeg)
[ "${IVL_SKIP_BROWSER:-}" = 1 ] || command -v chromium >/dev/null 2>&1 || [ -n "${IVL_CHROMIUM:-}" ] || apt_packages+=(chromium)
# The distributed-evaluation tests start their own redis-server on loopback.
[ "${IVL_SKIP_BROWSER:-}" = 1 ] || command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then
    echo "setup: installing ${apt_packages[*]} from apt"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  else
    echo "setup: please install ${apt_packages[*]} (apt-get install -y ${apt_packages[*]}); tests that need them will fail" >&2
  fi
fi
