#!/usr/bin/env bash
# Extracts proto/csi.proto from the CSI spec the same way the spec repository's Makefile does:
# every ```protobuf block, in order, fences removed.
set -euo pipefail
spec=${1:-../shared/reference/csi-spec-v1.12.0.md}
{
  echo "// Code generated from csi-spec-v1.12.0.md by scripts/extract-csi-proto.sh; DO NOT EDIT."
  sed -n -e '/^```protobuf$/,/^```$/ p' "$spec" | sed '/^```/d'
} > proto/csi.proto
