#!/usr/bin/env bash
# Runs a command as on a fresh machine that has only Node, npm, git and apt: every pnpm, pnpx,
# turbo, corepack and yarn on PATH is hidden. A directory of PATH that holds one of them is
# replaced by a shadow directory of links to everything else in it, so node and npm (which sit
# beside corepack in /usr/bin) stay reachable. The README's commands must pass under it (.ci/run).
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: without-global-tools.sh COMMAND [ARGS...]" >&2; exit 2; }
hidden=(pnpm pnpx turbo corepack yarn yarnpkg)
shadow=$(mktemp -d "${TMPDIR:-/tmp}/ivl-no-global-tools.XXXXXX")
trap 'rm -rf "$shadow"' EXIT
# apt runs its download methods as the _apt user, which must be able to reach gpgv through PATH.
chmod 755 "$shadow"
is_hidden() { local name; for name in "${hidden[@]}"; do [ "$1" = "$name" ] && return 0; done; return 1; }
new_path=""
index=0
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  holds=0
  for name in "${hidden[@]}"; do [ -e "$dir/$name" ] && holds=1; done
  if [ "$holds" = 0 ]; then
    new_path+="${new_path:+:}$dir"
    continue
  fi
  index=$((index + 1))
  sub="$shadow/$index"
  mkdir "$sub"
  for entry in "$dir"/*; do
    name=${entry##*/}
    is_hidden "$name" || ln -s "$entry" "$sub/$name"
  done
  new_path+="${new_path:+:}$sub"
done
export PATH="$new_path"
for name in "${hidden[@]}"; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "without-global-tools: $name is still on PATH at $(command -v "$name")" >&2
    exit 1
  fi
done
echo "without-global-tools: hidden ${hidden[*]}; running: $*" >&2
status=0
"$@" || status=$?
exit "$status"
