#!/usr/bin/env bash
# Issue "verity": reads through the same stack with and without verity, and digest throughput.
#   bash bench/verity.sh            (root; ~3 min; SIZE_MB=1024 by default, 256 with QUICK=1)
# Stacks: `strata mount passthrough SRC MNT -o cache=exclusive` with and without `-o verity`
# (the verity file enabled with the stock `fsverity enable` through the mount). FUSE passthrough
# I/O is off in both (a verity file never gets a backing fd, so the plain row must not either).
# Digest: `strata verity digest` vs `fsverity digest` of the same host file (page cache warm).
BENCH_NAME=verity
. "$(dirname "$0")/lib.sh"

require_root
require_tools fio fsverity dd jq

SIZE_MB=${SIZE_MB:-$([ "${QUICK:-0}" = 1 ] && echo 256 || echo 1024)}
add_target plain "strata passthrough"
add_target verity "strata passthrough -o verity"
add_target fsverity "fsverity-utils"
add_workload seq-read-cold MiB/s "dd bs=1M of the ${SIZE_MB} MiB file after a remount and drop_caches (verity: every block hashed)"
add_workload seq-read-warm MiB/s "the same dd again (kernel page cache warm)"
add_workload rand-read-4k IOPS "fio 4 KiB random read, psync, 15s, after a remount and drop_caches (fadvise random)"
add_workload digest MiB/s "digest of the ${SIZE_MB} MiB host file, page cache warm: strata verity digest (strata columns) vs fsverity digest"

SRC="$WORK/src"
mkdir -p "$SRC"
say "making a ${SIZE_MB} MiB file"
head -c "$((SIZE_MB << 20))" /dev/urandom > "$SRC/big"

mibps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b / 1048576 / s }'; }

read_dd() { # TARGET WORKLOAD FILE
  local t0 t1
  t0=$(date +%s.%N)
  if ! dd if="$3" of=/dev/null bs=1M status=none 2>>"$LOGDIR/dd.err"; then record_na "$1" "$2" "dd failed"; return; fi
  t1=$(date +%s.%N)
  record "$1" "$2" "$(mibps "$((SIZE_MB << 20))" "$(elapsed "$t0" "$t1")")"
  say "  $1 $2: ${VAL["$2|$1"]} MiB/s"
}

rand_fio() { # TARGET FILE
  local out iops
  out=$(fio --name=rr --filename="$2" --rw=randread --bs=4k --ioengine=psync --time_based --runtime=15 \
        --fadvise_hint=random --readonly --output-format=json 2>>"$LOGDIR/fio.err") || { record_na "$1" rand-read-4k "fio failed"; return; }
  iops=$(echo "$out" | jq '.jobs[0].read.iops | floor')
  record "$1" rand-read-4k "$iops"
  say "  $1 rand-read-4k: $iops IOPS"
}

# Phases run for both stacks before the next phase starts: random reads on this VM's virtual disk
# leave the next cold sequential read of the same file ~2x slower for a while (seen: verity cold
# 698 MiB/s before a 10 s fio on the plain mount, 334 right after), so the two cold rows must
# not straddle a fio run.
enable_verity() {
  local mnt="$WORK/mnt-verity" opts=",verity"
  mount_strata verity "$mnt" passthrough "$SRC" "$mnt" -o "cache=exclusive,passthrough=off$opts" || return 1
  if ! fsverity measure "$mnt/big" >/dev/null 2>&1; then
    say "fsverity enable (builds the Merkle tree of ${SIZE_MB} MiB)"
    fsverity enable "$mnt/big" || { unmount_path "$mnt"; return 1; }
  fi
  unmount_path "$mnt"
}

cold_warm() { # TARGET extra-options
  local t=$1 opts=$2 mnt="$WORK/mnt-$1"
  # cold: a fresh daemon (no verified blocks remembered) and no page cache
  mount_strata "$t" "$mnt" passthrough "$SRC" "$mnt" -o "cache=exclusive,passthrough=off$opts" || { record_rest_na "$t" "$MOUNT_NA"; return 1; }
  drop_caches
  read_dd "$t" seq-read-cold "$mnt/big"
  read_dd "$t" seq-read-warm "$mnt/big"
  unmount_path "$mnt"
}

random_reads() { # TARGET extra-options
  local t=$1 opts=$2 mnt="$WORK/mnt-$1"
  mount_strata "$t" "$mnt" passthrough "$SRC" "$mnt" -o "cache=exclusive,passthrough=off$opts" || { record_na "$t" rand-read-4k "$MOUNT_NA"; return; }
  drop_caches
  rand_fio "$t" "$mnt/big"
  unmount_path "$mnt"
}

verity_ok=1
say "== enable verity"
enable_verity || { verity_ok=0; record_rest_na verity "${MOUNT_NA:-fsverity enable failed}"; }
say "== sequential reads"
cold_warm plain ""
[ "$verity_ok" = 1 ] && cold_warm verity ",verity"
say "== random reads"
random_reads plain ""
[ "$verity_ok" = 1 ] && random_reads verity ",verity"

say "== digest throughput"
cat "$SRC/big" > /dev/null
for t in plain verity fsverity; do
  [ "$t" = plain ] && { record_na plain digest "one strata digest column (under verity)"; continue; }
  t0=$(date +%s.%N)
  if [ "$t" = verity ]; then "$STRATA" verity digest "$SRC/big" > "$LOGDIR/digest-$t.out"; else fsverity digest "$SRC/big" > "$LOGDIR/digest-$t.out"; fi
  t1=$(date +%s.%N)
  record "$t" digest "$(mibps "$((SIZE_MB << 20))" "$(elapsed "$t0" "$t1")")"
  say "  $t digest: ${VAL["digest|$t"]} MiB/s"
done
cmp -s <(cut -d' ' -f1 "$LOGDIR/digest-verity.out") <(cut -d' ' -f1 "$LOGDIR/digest-fsverity.out") || say "WARNING: the digests differ"
for w in seq-read-cold seq-read-warm rand-read-4k; do record_na fsverity "$w" "a tool, not a stack"; done

check_ratio "verified cold sequential read within 10% of the unverified stack" seq-read-cold verity plain ge 0.9
check_speed "strata verity digest >= fsverity digest (incl. JVM start)" digest verity fsverity ge 1

write_results "verity: passthrough over host ext4 under /tmp, ${SIZE_MB} MiB file" plain
