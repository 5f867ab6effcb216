#!/usr/bin/env bash
# Regenerates every committed generated file. test/generated.test.ts fails when the committed
# output differs from what this produces.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf src/generated
npx buf generate
npx openapi-typescript openapi/block-storage.v1.yaml -o src/generated/block-storage.v1.ts
npx openapi-typescript openapi/providers/digitalocean.v2.yaml -o src/generated/digitalocean.v2.ts
npx openapi-typescript openapi/providers/hetzner-cloud.v1.yaml -o src/generated/hetzner-cloud.v1.ts
