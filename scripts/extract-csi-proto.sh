#!/usr/bin/env bash
# Extracts the CSI protobuf from the spec the way the spec repository's Makefile does: every
# ```protobuf block, in order, fences removed. Usage: extract-csi-proto.sh [SPEC.md] [OUT.proto]
set -euo pipefail
spec=${1:-../shared/reference/csi-spec-v1.12.0.md}
out=${2:-proto/csi.proto}
{
  echo "// Code generated from csi-spec-v1.12.0.md by scripts/extract-csi-proto.sh; DO NOT EDIT."
  sed -n -e '/^```protobuf$/,/^```$/ p' "$spec" | sed '/^```/d'
} > "$out"
