#!/usr/bin/env bash
# Starts the test OpenID Provider (provider.mjs) with the JSON configuration given.
# The npm packages, pinned by package-lock.json, are installed from the npm registry into
# target/oidc-provider on first use (or when the lock file changes); nothing is committed.
# With no arguments it installs and exits.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${FLYWHEEL_OIDC_PROVIDER_DIR:-$here/../../target/oidc-provider}"
# shellcheck source=../npm-pinned.sh
source "$here/../npm-pinned.sh"
npm_pinned "$here" "$dir" provider.mjs
[ "$#" -ge 1 ] || exit 0
exec node "$dir/provider.mjs" "$@"
