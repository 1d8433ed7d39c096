#!/usr/bin/env bash
# Issue "passthrough": Strata's passthrough backend in each cache mode vs the native host file
# system (a directory under /tmp) vs bindfs over the same kind of directory.
#   bash bench/passthrough.sh     (root; ~6 min)
# Every target gets a fresh, empty source directory under /tmp (same host file system).
BENCH_NAME=passthrough
FIO_RAND_RUNTIME=${FIO_RAND_RUNTIME:-10}
. "$(dirname "$0")/lib.sh"

require_root
require_tools fio jq bindfs tar find
prepare_tree

MODES=(${PT_MODES:-exclusive writethrough shared})
add_target native "native $(findmnt -no FSTYPE -T /tmp) (/tmp)"
for m in "${MODES[@]}"; do add_target "strata-$m" "strata $m"; done
add_target bindfs "bindfs"
define_tree_workloads
define_fio_workloads

run_all_workloads() { # TARGET DIR
  run_tree_workloads "$1" "$2"
  if mount_alive "$2"; then run_fio_workloads "$1" "$2"; else record_rest_na "$1" "mount died"; fi
}

say "== native (host file system under /tmp)"
mkdir -p "$WORK/native"
SYNC_PATHS="$WORK/native"
run_all_workloads native "$WORK/native"

for m in "${MODES[@]}"; do
  t="strata-$m"
  say "== strata passthrough cache=$m"
  src="$WORK/src-$m" mnt="$WORK/mnt-$m"
  mkdir -p "$src"
  if mount_strata "$t" "$mnt" passthrough "$src" "$mnt" -o "cache=$m"; then
    SYNC_PATHS="$mnt $src"
    run_all_workloads "$t" "$mnt"
    unmount_path "$mnt"
  else
    record_rest_na "$t" "$MOUNT_NA"
  fi
  rm -rf --one-file-system "$src"
done

say "== bindfs"
mkdir -p "$WORK/src-bindfs"
if mount_bindfs "$WORK/src-bindfs" "$WORK/mnt-bindfs"; then
  SYNC_PATHS="$WORK/mnt-bindfs $WORK/src-bindfs"
  run_all_workloads bindfs "$WORK/mnt-bindfs"
  unmount_path "$WORK/mnt-bindfs"
else
  record_rest_na bindfs "$MOUNT_NA"
fi

for m in "${MODES[@]}"; do
  t="strata-$m"
  check_ratio "$m: sequential read >= 0.9x native" fio-seq-read "$t" native ge 0.9
  check_ratio "$m: sequential write >= 0.9x native" fio-seq-write "$t" native ge 0.9
  check_ratio "$m: untar <= 3x native (time ratio)" untar "$t" native le 3
  check_ratio "$m: find+stat warm <= 1.5x native (time ratio)" find-stat-warm "$t" native le 1.5
  for w in "${WORKLOADS[@]}"; do check_speed "$m: faster than bindfs: $w" "$w" "$t" bindfs gt 1; done
done

write_results "passthrough: host $(findmnt -no FSTYPE -T /tmp) under /tmp (tree: $TREE_DESC)" native bindfs
