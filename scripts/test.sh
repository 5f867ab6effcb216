#!/usr/bin/env bash
# The project's whole test command (`npm test`): lint, type-check, then every test file.
# Tests that need root and loop devices skip outside CI when not root, and fail in CI instead.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
# The contract linter would otherwise try to reach the network for telemetry and update checks.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
npx biome check .
npx tsc --noEmit
npm run --silent lint:openapi
# The conformance, storm and CLI tests run ./bin/ballast, which runs the compiled dist/.
npx tsc -p tsconfig.build.json
files=(test/**/*.test.ts)
exec node --import tsx --test --test-concurrency=2 --test-timeout=600000 "${files[@]}"
