# Sourced by the README's commands after setup.sh: puts the pinned pnpm first on PATH.
# turbo finds the package manager by looking up `pnpm` on PATH, so a copy that is only called by
# its full path (setup.sh's, in .cache/tools) is not enough: it must be on PATH for every child.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
want=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  export PATH="$root/.cache/tools/node_modules/.bin:$PATH"
fi
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  echo "setup: pnpm@$want is neither on PATH nor in .cache/tools; run bash tooling/scripts/setup.sh" >&2
  exit 1
fi
unset root want
