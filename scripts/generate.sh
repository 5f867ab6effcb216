#!/usr/bin/env bash
# Regenerates every committed generated file. test/generated.test.ts fails when the committed
# output differs from what this produces.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf src/generated
npx buf generate
npx openapi-typescript openapi/block-storage.v1.yaml -o src/generated/block-storage.v1.ts
