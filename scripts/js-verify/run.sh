#!/usr/bin/env bash
# Runs the independent JavaScript verifier (verify.mjs) on the files given.
# The npm packages, pinned by package-lock.json, are installed from the npm registry into
# target/js-verify on first use (or when the lock file changes); nothing is committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${FLYWHEEL_JS_VERIFY_DIR:-$here/../../target/js-verify}"
mkdir -p "$dir"
cp "$here/package.json" "$here/package-lock.json" "$here/verify.mjs" "$dir/"
if ! cmp -s "$here/package-lock.json" "$dir/node_modules/.flywheel-lock" 2>/dev/null; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 1>&2)
  cp "$here/package-lock.json" "$dir/node_modules/.flywheel-lock"
fi
exec node "$dir/verify.mjs" "$@"
