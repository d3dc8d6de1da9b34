#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) when a nightly toolchain and
# cargo-fuzz are installed; otherwise says why it cannot and exits 0 (an optional job).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
if ! rustup toolchain list 2>/dev/null | grep -q nightly || ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain or cargo-fuzz here; skipping (cargo install cargo-fuzz, rustup toolchain install nightly)"
  exit 0
fi
mkdir -p corpus/hris corpus/github corpus/m365 corpus/chatgpt
cp -n ../../shared/fixtures/hris/*.csv corpus/hris/ 2>/dev/null || true
cp -n ../../shared/fixtures/github-copilot/* corpus/github/ 2>/dev/null || true
cp -n ../../shared/fixtures/m365/* corpus/m365/ 2>/dev/null || true
cp -n ../../shared/fixtures/chatgpt-enterprise/* corpus/chatgpt/ 2>/dev/null || true
for t in hris edges events github m365 chatgpt pydict credential; do
  echo "== fuzz $t (${secs}s)"
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" 2>&1 | tail -2
done
