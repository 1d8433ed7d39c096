#!/usr/bin/env bash
# Issue 13: one big directory on ext2 — Strata's ext2 vs the kernel's ext2 driver (loop) vs fuse2fs.
#   bash bench/ext2-bigdir.sh                 (root; 10k and 100k names, ~10 min with fuse2fs)
#   BIGDIR_SIZES="10000 100000 1000000" bash bench/ext2-bigdir.sh      (adds the 1M row)
#   BIGDIR_FUSE2FS_MAX=100000  (default) sizes above this skip fuse2fs (it is quadratic: hours at 1M)
# For each size N every target gets a fresh image (mke2fs -t ext2, dir_index on as by default,
# -N N+10000) and runs, in one directory: create N empty files (open/close), `ls -f` (readdir
# only), stat of 10,000 random names after dropping caches, and rm of the directory. Per-file
# costs (µs) are printed beside the seconds; the Strata daemon's and fuse2fs's peak RSS go into
# the notes; e2fsck -fn checks each image afterwards.
BENCH_NAME=ext2-bigdir
STEP_TIMEOUT=${STEP_TIMEOUT:-1200}
. "$(dirname "$0")/lib.sh"

require_root
require_tools mke2fs e2fsck fuse2fs python3
SIZES=${BIGDIR_SIZES:-10000 100000}
FUSE2FS_MAX=${BIGDIR_FUSE2FS_MAX:-100000}
STATS=10000

add_target kernel "kernel ext2 (loop)"
add_target strata "strata ext2"
add_target fuse2fs "fuse2fs"
for n in $SIZES; do
  k=$((n / 1000))k
  add_workload "create-$k" s "create $n empty files in one directory (python: open O_CREAT + close)"
  add_workload "ls-f-$k" s "ls -f of that directory (readdir, no stat)"
  add_workload "stat-$k" s "stat of $STATS random names, caches dropped first"
  add_workload "rm-$k" s "rm -rf of the directory"
done

new_image() { # PATH N
  rm -f "$1"
  local gib=$(( ($2 / 200000) + 2 ))
  truncate -s "${gib}G" "$1"
  mke2fs -q -t ext2 -F -N $(( $2 + 10000 )) "$1"
}

fsck_note() { # TARGET IMAGE N
  local out rc=0
  out=$(e2fsck -fn "$2" 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then say "  $1 ($3): e2fsck -fn: clean"
  else NOTES+=("${TLABEL[$1]} at $3: e2fsck -fn exited $rc: $(echo "$out" | grep -vE '^(e2fsck|Pass [0-9])' | head -3 | oneline 200)"); fi
}

peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

step() { # TARGET WORKLOAD SNIPPET
  local log="$LOGDIR/$1-$2.log"
  if run_timed "$log" "$3"; then record "$1" "$2" "$ELAPSED"; say "  $1 $2: ${ELAPSED}s"
  else record_na "$1" "$2" "$FAIL_REASON"; fi
}

run_size() { # TARGET MNT N
  local t=$1 d=$2/big n=$3 k=$(( $3 / 1000 ))k
  mkdir -p "$d"
  step "$t" "create-$k" "python3 -c 'import os,sys
d=sys.argv[1]
for i in range(int(sys.argv[2])): os.close(os.open(d+\"/file-%07d-with-a-name\" % i, os.O_CREAT | os.O_WRONLY, 0o644))' '$d' $n"
  step "$t" "ls-f-$k" "test \$(ls -f '$d' | wc -l) = $((n + 2))"
  drop_caches
  step "$t" "stat-$k" "python3 -c 'import os,sys,random
d=sys.argv[1]; n=int(sys.argv[2]); r=random.Random(13)
for _ in range($STATS): os.stat(d+\"/file-%07d-with-a-name\" % r.randrange(n))' '$d' $n"
  step "$t" "rm-$k" "rm -rf '$d'"
}

for n in $SIZES; do
  k=$((n / 1000))k
  say "== $n names"
  img="$WORK/kernel.img"; new_image "$img" "$n"
  if mount_kext2 "$img" "$WORK/kernel"; then
    note_load kernel
    SYNC_PATHS="$WORK/kernel $img"
    run_size kernel "$WORK/kernel" "$n"
    unmount_path "$WORK/kernel"
    fsck_note kernel "$img" "$k"
  else
    record_rest_na kernel "$MOUNT_NA"
  fi
  rm -f "$img"

  img="$WORK/strata.img"; new_image "$img" "$n"
  if mount_strata strata "$WORK/strata" ext2 "$img" "$WORK/strata"; then
    note_load strata
    run_size strata "$WORK/strata" "$n"
    pid=${STRATA_PID[$WORK/strata]:-}
    [ -n "$pid" ] && NOTES+=("strata ext2 daemon peak RSS at $k: $(peak_rss_mib "$pid") MiB")
    unmount_path "$WORK/strata"
    fsck_note strata "$img" "$k"
  else
    record_rest_na strata "$MOUNT_NA"
  fi
  rm -f "$img"

  if [ "$n" -le "$FUSE2FS_MAX" ]; then
    img="$WORK/fuse2fs.img"; new_image "$img" "$n"
    if mount_fuse2fs "$img" "$WORK/fuse2fs"; then
      note_load fuse2fs
      run_size fuse2fs "$WORK/fuse2fs" "$n"
      pid=$(pgrep -f "fuse2fs $img" | head -1 || true)
      [ -n "$pid" ] && NOTES+=("fuse2fs peak RSS at $k: $(peak_rss_mib "$pid") MiB")
      unmount_path "$WORK/fuse2fs"
      fsck_note fuse2fs "$img" "$k"
    else
      record_rest_na fuse2fs "$MOUNT_NA"
    fi
    rm -f "$img"
  else
    for w in create ls-f stat rm; do record_na fuse2fs "$w-$k" "skipped above $FUSE2FS_MAX names (quadratic)"; done
  fi
done

# per-file cost, and how it grows with the directory
per_file() { awk -v s="${VAL["$2|$1"]:-}" -v n="$3" 'BEGIN { if (s ~ /^[0-9.]+$/) printf "%.1f", s * 1e6 / n; else print "n/a" }'; }
first=""; last=""
for n in $SIZES; do [ -z "$first" ] && first=$n; last=$n; done
for t in "${TARGETS[@]}"; do
  line="${TLABEL[$t]} µs per file:"
  for n in $SIZES; do k=$((n / 1000))k; line+=" $k create $(per_file "$t" "create-$k" "$n"), stat $(per_file "$t" "stat-$k" "$STATS"), rm $(per_file "$t" "rm-$k" "$n");"; done
  NOTES+=("$line")
done
if [ "$first" != "$last" ]; then
  for w in create rm; do
    a=$(per_file strata "$w-$((first / 1000))k" "$first"); b=$(per_file strata "$w-$((last / 1000))k" "$last")
    v=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b ~ /^[0-9.]+$/) printf "%.3f", b / a }')
    _check "per-file $w cost flat: $((last / 1000))k vs $((first / 1000))k (<= 2x)" "$v" le 2
  done
fi
for n in $SIZES; do
  k=$((n / 1000))k
  if [ "$n" = 100000 ]; then
    for w in create ls-f stat rm; do check_ratio "within 3x of kernel ext2 at 100k: $w" "$w-$k" strata kernel le 3; done
  fi
  for w in create ls-f stat rm; do check_speed "faster than fuse2fs: $w-$k" "$w-$k" strata fuse2fs gt 1; done
done

write_results "ext2 big directory: one directory of ${SIZES// /, } names" kernel fuse2fs
