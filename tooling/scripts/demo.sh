#!/usr/bin/env bash
# The README's demo command: builds the CLI, makes (once, cached in .cache/demo) a small synthetic
# InternVL model with our converter and chats about the bundled sample image with it.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 IVL_SKIP_BROWSER=1
bash tooling/scripts/setup.sh
source tooling/scripts/pinned-pnpm.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm exec turbo run build --filter=@ivl/cli... --output-logs=errors-only >/dev/null
node apps/cli/bin/ivl.mjs demo --cache .cache/demo
