#!/usr/bin/env bash
# The project's whole test command (`npm test`): lint, type-check, then every test file.
# Tests that need root and loop devices skip outside CI when not root, and fail in CI instead.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
npx biome check .
npx tsc --noEmit
files=(test/**/*.test.ts)
exec node --import tsx --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
