#!/usr/bin/env bash
# Starts the test OpenID Provider (provider.mjs) with the JSON configuration given.
# The npm packages, pinned by package-lock.json, are installed from the npm registry into
# target/oidc-provider on first use (or when the lock file changes); nothing is committed.
# Tests start it in parallel, so the install runs under an exclusive lock (flock).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${FLYWHEEL_OIDC_PROVIDER_DIR:-$here/../../target/oidc-provider}"
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
for f in package.json package-lock.json provider.mjs; do
  if ! cmp -s "$here/$f" "$dir/$f"; then
    cp "$here/$f" "$dir/$f.tmp.$$"
    mv -f "$dir/$f.tmp.$$" "$dir/$f"
  fi
done
if ! cmp -s "$here/package-lock.json" "$dir/node_modules/.flywheel-lock" 2>/dev/null; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 1>&2)
  cp "$here/package-lock.json" "$dir/node_modules/.flywheel-lock"
fi
flock -u 9
exec 9>&-
[ "$#" -ge 1 ] || exit 0
exec node "$dir/provider.mjs" "$@"
