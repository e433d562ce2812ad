#!/usr/bin/env bash
# The README's test command: lint, import-direction check, build, typecheck and every test.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1
bash tooling/scripts/setup.sh
source tooling/scripts/pinned-pnpm.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm exec biome check .
node tooling/scripts/check-imports.mjs
rm -f packages/*/.cache/vitest-report.json apps/*/.cache/vitest-report.json tooling/*/.cache/vitest-report.json
status=0
pnpm exec turbo run build typecheck test --continue --output-logs=errors-only --log-order=grouped || status=$?
node tooling/scripts/test-summary.mjs || status=$?
exit $status
