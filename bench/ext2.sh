#!/usr/bin/env bash
# Issue "ext2": Strata's ext2 backend vs the kernel's ext2 driver (loop mount) vs fuse2fs.
#   bash bench/ext2.sh            (root; ~2.5 min)
# Each target gets a fresh 2 GiB image (mke2fs -q -t ext2 -F) under /tmp; after the run the
# image is checked with e2fsck -fn and the verdict goes into the notes.
BENCH_NAME=ext2
FIO_SIZE=${FIO_SIZE:-256m}
FIO_RAND_RUNTIME=${FIO_RAND_RUNTIME:-10}
. "$(dirname "$0")/lib.sh"

require_root
require_tools fio jq fuse2fs mke2fs e2fsck tar find
prepare_tree
IMG_SIZE=${IMG_SIZE:-2G}

add_target kernel "kernel ext2 (loop)"
add_target strata "strata ext2"
add_target fuse2fs "fuse2fs"
define_tree_workloads
define_fio_workloads

run_all_workloads() { # TARGET DIR
  run_tree_workloads "$1" "$2"
  if mount_alive "$2"; then run_fio_workloads "$1" "$2"; else record_rest_na "$1" "mount died"; fi
}

new_image() { # PATH
  rm -f "$1"
  truncate -s "$IMG_SIZE" "$1"
  mke2fs -q -t ext2 -F "$1"
}

fsck_note() { # TARGET IMAGE
  local out rc=0
  out=$(e2fsck -fn "$2" 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then say "  $1: e2fsck -fn: clean"
  else
    NOTES+=("${TLABEL[$1]}: e2fsck -fn after the run exited $rc: $(echo "$out" | grep -vE '^(e2fsck|Pass [0-9])' | head -3 | oneline 200)")
    say "  $1: e2fsck -fn exited $rc"
  fi
}

# (a) kernel ext2 over a loop device
say "== kernel ext2 (mount -o loop)"
img="$WORK/kernel.img"; new_image "$img"
if mount_kext2 "$img" "$WORK/kernel"; then
  SYNC_PATHS="$WORK/kernel $img"
  run_all_workloads kernel "$WORK/kernel"
  unmount_path "$WORK/kernel"
  fsck_note kernel "$img"
else
  record_rest_na kernel "$MOUNT_NA"
fi
rm -f "$img"

# (b) Strata ext2
say "== strata ext2"
img="$WORK/strata.img"; new_image "$img"
if mount_strata strata "$WORK/strata" ext2 "$img" "$WORK/strata"; then
  SYNC_PATHS="$WORK/strata $img"
  run_all_workloads strata "$WORK/strata"
  unmount_path "$WORK/strata"
  fsck_note strata "$img"
else
  record_rest_na strata "$MOUNT_NA"
fi
rm -f "$img"

# (c) fuse2fs
say "== fuse2fs"
img="$WORK/fuse2fs.img"; new_image "$img"
if mount_fuse2fs "$img" "$WORK/fuse2fs"; then
  SYNC_PATHS="$WORK/fuse2fs $img"
  run_all_workloads fuse2fs "$WORK/fuse2fs"
  unmount_path "$WORK/fuse2fs"
  fsck_note fuse2fs "$img"
else
  record_rest_na fuse2fs "$MOUNT_NA"
fi
rm -f "$img"

for w in "${WORKLOADS[@]}"; do check_speed "faster than fuse2fs: $w" "$w" strata fuse2fs gt 1; done
for w in untar find-stat-warm find-stat-cold rm-rf; do check_speed ">= 5x faster than fuse2fs: $w" "$w" strata fuse2fs ge 5; done
for w in "${WORKLOADS[@]}"; do
  if lower_better "$w"; then check_ratio "within 3x of kernel ext2: $w (time ratio <= 3)" "$w" strata kernel le 3
  else check_ratio "within 3x of kernel ext2: $w (throughput ratio >= 0.33)" "$w" strata kernel ge 0.3333; fi
done

write_results "ext2: $IMG_SIZE image in /tmp (tree: $TREE_DESC)" kernel fuse2fs
