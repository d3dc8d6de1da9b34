#!/usr/bin/env bash
# Runs scim2-cli (with scim2-tester, the SCIM compliance checker) from PyPI, pinned by
# requirements.txt, in a virtualenv under target/scim2-tester made on first use (or when
# the pins change); nothing is committed. Tests call it in parallel, so the install runs
# under an exclusive lock (flock). With no arguments it installs and exits.
#
#   SCIM_CLI_HEADERS="Authorization: Bearer TOKEN" scripts/scim2-tester/run.sh \
#       --url https://HOST/scim/v2 test
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${FLYWHEEL_SCIM_TESTER_DIR:-$here/../../target/scim2-tester}"
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
if ! cmp -s "$here/requirements.txt" "$dir/venv/.flywheel-pins" 2>/dev/null; then
  rm -rf "$dir/venv"
  python3 -m venv "$dir/venv" 1>&2
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" 1>&2
  cp "$here/requirements.txt" "$dir/venv/.flywheel-pins"
fi
flock -u 9
exec 9>&-
[ "$#" -ge 1 ] || exit 0
exec "$dir/venv/bin/scim2" "$@"
