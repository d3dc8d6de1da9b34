#!/usr/bin/env bash
# Runs the independent JavaScript verifier (verify.mjs) on the files given.
# The npm packages, pinned by package-lock.json, are installed from the npm registry into
# target/js-verify on first use (or when the lock file changes); nothing is committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${FLYWHEEL_JS_VERIFY_DIR:-$here/../../target/js-verify}"
# shellcheck source=../npm-pinned.sh
source "$here/../npm-pinned.sh"
npm_pinned "$here" "$dir" verify.mjs
exec node "$dir/verify.mjs" "$@"
