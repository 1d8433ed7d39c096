#!/usr/bin/env bash
# Issue "union": Strata's union vs kernel overlayfs, fuse-overlayfs and unionfs-fuse, all over the
# same read-only lower directory that holds the tree (and a 512 MiB file for fio).
#   bash bench/union.sh     (root; ~8 min)
# Each round mounts a fresh upper+work over the lower, then: untar over the lower tree (replaces
# every lower file: copy-up / whiteout work), find warm/cold and read-all through the merged view,
# rm -rf of the tree (whiteouts over lower dirs). fio writes over a lower file (its copy-up is in
# the number), then reads it.
BENCH_NAME=union
FIO_RAND_RUNTIME=${FIO_RAND_RUNTIME:-10}
. "$(dirname "$0")/lib.sh"

require_root
require_tools fio jq tar find fuse-overlayfs unionfs-fuse
prepare_tree

add_target kernel "kernel overlay"
add_target strata "strata union"
add_target fuse-overlayfs "fuse-overlayfs"
add_target unionfs-fuse "unionfs-fuse"
add_workload untar s "\`tar -xf tree.tar\` over the same tree in the lower layer, then \`sync -f\` of the upper's file system"
add_workload find-stat-warm s "\`find DIR -printf '%s %m %T@\\n'\` of the merged tree, second of two runs"
add_workload find-stat-cold s "same, after drop_caches"
add_workload read-all-cold s "\`tar -cf - . | cat > /dev/null\` of the merged tree after drop_caches"
add_workload rm-rf s "\`rm -rf\` the merged tree (every lower dir gets a whiteout), then \`sync -f\`"
define_fio_workloads
UNIT[fio-seq-write]="MiB/s"; WDESC[fio-seq-write]="fio 1 MiB sequential write over a $FIO_SIZE lower file (first open for write copies it up), psync, end_fsync=1"

LOWER="$WORK/lower"
mkdir -p "$LOWER"
say "preparing the lower layer"
tar -xf "$TREE_TAR" -C "$LOWER"
fio --name=prep --directory="$LOWER" --filename=fio.dat --size="$FIO_SIZE" --rw=write --bs=1m --ioengine=psync \
  --output=/dev/null >/dev/null 2>&1
sync

# union_mount TARGET MNT UPPER WORK -> 0 if mounted (MOUNT_NA otherwise)
union_mount() {
  local t=$1 m=$2 u=$3 w=$4 log="$LOGDIR/$1-mount.log"
  mkdir -p "$m" "$u" "$w"
  case "$t" in
    kernel)
      mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$u,workdir=$w" "$m" 2>"$log" \
        || { MOUNT_NA="mount -t overlay failed: $(tail -1 "$log" | oneline)"; return 1; }
      MOUNTS+=("kernel:$m") ;;
    strata)
      mount_strata strata "$m" union "$m" -o "lowerdir=$LOWER,upperdir=$u,workdir=$w" || return 1 ;;
    fuse-overlayfs)
      timeout 30 fuse-overlayfs -o "lowerdir=$LOWER,upperdir=$u,workdir=$w" "$m" >"$log" 2>&1 && is_mounted "$m" \
        || { MOUNT_NA="fuse-overlayfs failed: $(tail -1 "$log" | oneline)"; return 1; }
      MOUNTS+=("fuse:$m") ;;
    unionfs-fuse)
      timeout 30 unionfs-fuse -o cow "$u=RW:$LOWER=RO" "$m" >"$log" 2>&1 && is_mounted "$m" \
        || { MOUNT_NA="unionfs-fuse failed: $(tail -1 "$log" | oneline)"; return 1; }
      MOUNTS+=("fuse:$m") ;;
  esac
}

run_target() {
  local t=$1 r m u w sync_cmd ok=1
  note_load "$t"
  for ((r = 1; r <= TREE_ROUNDS; r++)); do
    say "== $t: round $r/$TREE_ROUNDS"
    m="$WORK/mnt-$t" u="$WORK/upper-$t" w="$WORK/work-$t"
    rm -rf "$u" "$w"
    union_mount "$t" "$m" "$u" "$w" || { record_rest_na "$t" "$MOUNT_NA"; return 0; }
    sync_cmd="sync -f '$m'; sync -f '$u';"
    drop_caches_keep_tar
    run_step "$t" untar "tar -xf '$TREE_TAR' -C '$m'; $sync_cmd" || ok=0
    if [ "$ok" = 1 ]; then
      find "$m/usr" -printf '%s %m %T@\n' > /dev/null 2>&1 || true
      run_step "$t" find-stat-warm "find '$m/usr' -printf '%s %m %T@\n' > /dev/null" || ok=0
    fi
    [ "$ok" = 1 ] && { drop_caches; run_step "$t" find-stat-cold "find '$m/usr' -printf '%s %m %T@\n' > /dev/null" || ok=0; }
    [ "$ok" = 1 ] && { drop_caches; run_step "$t" read-all-cold "tar -cf - -C '$m' usr | cat > /dev/null" || ok=0; }
    [ "$ok" = 1 ] && { run_step "$t" rm-rf "rm -rf '$m'/usr; $sync_cmd" || ok=0; }
    if [ "$ok" = 1 ] && [ "$r" = "$TREE_ROUNDS" ]; then
      run_fio_workloads "$t" "$m"
    fi
    unmount_path "$m"
    rm -rf "$u" "$w"
    [ "$ok" = 1 ] || { still_alive_or_na "$t" "$m" || true; break; }
  done
  record_medians "$t"
}

for t in kernel strata fuse-overlayfs unionfs-fuse; do run_target "$t"; done

for w in "${WORKLOADS[@]}"; do
  check_speed "faster than fuse-overlayfs: $w" "$w" strata fuse-overlayfs gt 1
  check_speed "faster than unionfs-fuse: $w" "$w" strata unionfs-fuse gt 1
done
check_ratio "find+stat warm within 2x of kernel overlay (time ratio)" find-stat-warm strata kernel le 2
check_ratio "find+stat cold within 2x of kernel overlay (time ratio)" find-stat-cold strata kernel le 2
check_ratio "read-all within 2x of kernel overlay (time ratio)" read-all-cold strata kernel le 2

write_results "union: lower = the tree on host $(findmnt -no FSTYPE -T /tmp) under /tmp (tree: $TREE_DESC)" kernel fuse-overlayfs
