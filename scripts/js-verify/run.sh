#!/usr/bin/env bash
# Runs the independent JavaScript verifier (verify.mjs) on the files given.
# The npm packages, pinned by package-lock.json, are installed from the npm registry into
# target/js-verify on first use (or when the lock file changes); nothing is committed.
#
# Tests call this script in parallel: `npm ci` deletes node_modules before it installs, so
# the copy and the install run under an exclusive lock (flock), and files are replaced
# only when they changed, never while another copy of the verifier may be reading them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${FLYWHEEL_JS_VERIFY_DIR:-$here/../../target/js-verify}"
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
for f in package.json package-lock.json verify.mjs; do
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
exec node "$dir/verify.mjs" "$@"
