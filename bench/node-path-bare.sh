#!/usr/bin/env bash
# The node path with nothing but its commands, for the node path benchmark to compare
# NodeStage + NodePublish + NodeUnpublish + NodeUnstage against: format a blank device (the
# same mkfs arguments the driver uses), mount it, bind-mount it, unmount both.
# Usage: node-path-bare.sh <ext4|xfs> <device> <staging dir> <target dir>
set -euo pipefail
fs_type=$1
device=$2
staging=$3
target=$4
case "$fs_type" in
  ext4) mkfs.ext4 -F -q "$device" ;;
  xfs) mkfs.xfs -q "$device" ;;
  *) echo "unsupported filesystem type: $fs_type" >&2; exit 2 ;;
esac
mkdir -p "$staging" "$target"
mount -t "$fs_type" "$device" "$staging"
mount --bind "$staging" "$target"
umount "$target"
umount "$staging"
