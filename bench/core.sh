#!/usr/bin/env bash
# Issue "core": Strata's memory backend vs native tmpfs vs bindfs over a tmpfs.
#   bash bench/core.sh            (root; ~3 min)
# Workloads: untar of the tree, find+stat warm/cold, read all files cold, rm -rf,
# fio sequential write / sequential read / 4 KiB random read.
BENCH_NAME=core
. "$(dirname "$0")/lib.sh"

require_root
require_tools fio jq bindfs tar find
prepare_tree

add_target native "native tmpfs"
add_target strata "strata memory"
add_target stratawb "strata memory -o writeback"
add_target bindfs "bindfs/tmpfs"
define_tree_workloads
define_fio_workloads

run_all_workloads() { # TARGET DIR
  run_tree_workloads "$1" "$2"
  if mount_alive "$2"; then run_fio_workloads "$1" "$2"; else record_rest_na "$1" "mount died"; fi
}

# (a) native tmpfs
say "== native tmpfs"
mount_tmpfs "$WORK/native" 8G
SYNC_PATHS="$WORK/native"
run_all_workloads native "$WORK/native"
unmount_path "$WORK/native"

# (b) Strata memory
say "== strata memory"
if mount_strata strata "$WORK/strata" memory "$WORK/strata" -o size=4G; then
  SYNC_PATHS="$WORK/strata"
  run_all_workloads strata "$WORK/strata"
  unmount_path "$WORK/strata"
else
  record_rest_na strata "$MOUNT_NA"
fi

# (b2) the same with the kernel's writeback cache (memory's default is nowriteback since ENOSPC must
# show at the write; this row shows what that costs)
say "== strata memory -o writeback"
if mount_strata stratawb "$WORK/stratawb" memory "$WORK/stratawb" -o size=4G,writeback; then
  SYNC_PATHS="$WORK/stratawb"
  run_all_workloads stratawb "$WORK/stratawb"
  unmount_path "$WORK/stratawb"
else
  record_rest_na stratawb "$MOUNT_NA"
fi

# (c) bindfs over a tmpfs
say "== bindfs over tmpfs"
mount_tmpfs "$WORK/bindsrc" 8G
if mount_bindfs "$WORK/bindsrc" "$WORK/bindfs"; then
  SYNC_PATHS="$WORK/bindfs $WORK/bindsrc"
  run_all_workloads bindfs "$WORK/bindfs"
  unmount_path "$WORK/bindfs"
else
  record_rest_na bindfs "$MOUNT_NA"
fi
unmount_path "$WORK/bindsrc"

for w in "${WORKLOADS[@]}"; do check_speed "strata faster than bindfs: $w" "$w" strata bindfs gt 1; done
check_ratio "untar <= 3x native tmpfs (time ratio)" untar strata native le 3
check_ratio "sequential read >= 0.5x native tmpfs (throughput ratio)" fio-seq-read strata native ge 0.5

write_results "core: memory backend (tree: $TREE_DESC)" native bindfs
