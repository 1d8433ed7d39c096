#!/usr/bin/env bash
# Issue "core", second part: 1,000,000 empty files (1000 dirs x 1000 files) in Strata's memory
# backend with a 256 MiB Java heap (STRATA_JAVA_OPTS=-Xmx256m), vs native tmpfs.
#   bash bench/memory-1m.sh       (root; ~3.5 min)
# Reports: creation time, find -type f | wc -l time (must print 1000000), rm -rf time, and the
# daemon's RSS (VmRSS now, VmHWM peak) and Java heap use after a full GC.
BENCH_NAME=memory-1m
. "$(dirname "$0")/lib.sh"

require_root
require_tools jq find
PY=$(command -v /usr/bin/python3 || command -v python3) || die "python3 needed"
NDIRS=${NDIRS:-1000}
NFILES=${NFILES:-1000}
[ "$QUICK" = 1 ] && NDIRS=100
TOTAL=$((NDIRS * NFILES))
HEAP=${HEAP:--Xmx256m}

add_target native "native tmpfs"
SIZED=${SIZED:-1G}
add_target strata "strata memory $HEAP"
add_target strata-sized "strata memory $HEAP -o size=$SIZED"
add_workload create s "create $NDIRS dirs x $NFILES empty files (2 parallel python3 workers, os.mknod)"
add_workload find-count s "\`find MNT -type f | wc -l\` (warm; must equal $TOTAL)"
add_workload rm-rf s "\`rm -rf\` all of them"
add_workload rss-idle MiB "daemon VmRSS right after mounting"
add_workload rss-after MiB "daemon VmRSS with the $TOTAL files in place"
add_workload rss-peak MiB "daemon VmHWM (peak RSS) over the run"
add_workload heap-used MiB "Java heap in use after a full GC (jcmd GC.heap_info) with the files in place"
# the MiB rows are sizes, not throughput: lower is better
UNIT[rss-idle]=s; UNIT[rss-after]=s; UNIT[rss-peak]=s; UNIT[heap-used]=s

CREATE_PY='
import os, stat, sys
from multiprocessing import Process
root, ndirs, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def work(k):
    mode = stat.S_IFREG | 0o644
    for d in range(k, ndirs, 2):
        dp = os.path.join(root, "d%04d" % d)
        os.mkdir(dp)
        for f in range(nfiles):
            p = os.path.join(dp, "f%04d" % f)
            try:
                os.mknod(p, mode)
            except PermissionError:
                os.close(os.open(p, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644))
ps = [Process(target=work, args=(k,)) for k in range(2)]
for p in ps: p.start()
for p in ps: p.join()
sys.exit(max(p.exitcode for p in ps))
'

kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
proc_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

run_1m() { # TARGET DIR
  local t=$1 d=$2 n
  note_load "$t"
  say "$t: creating $TOTAL files in $d"
  run_step "$t" create "'$PY' -c '$CREATE_PY' '$d' $NDIRS $NFILES" || { still_alive_or_na "$t" "$d" || return 0; }
  say "$t: counting"
  local cnt="$WORK/count"
  if run_step "$t" find-count "find '$d' -type f | wc -l > '$cnt'"; then
    n=$(cat "$cnt")
    if [ "$n" = "$TOTAL" ]; then say "  $t: find counted $n files: OK"
    else NOTES+=("${TLABEL[$t]}: find counted $n files, expected $TOTAL"); say "  $t: find counted $n files, expected $TOTAL: WRONG"; fi
  else still_alive_or_na "$t" "$d" || return 0; fi
}

run_rm() { # TARGET DIR
  say "$1: rm -rf"
  run_step "$1" rm-rf "rm -rf '$2'/d*" || still_alive_or_na "$1" "$2" || true
}

# native tmpfs
say "== native tmpfs"
mount_tmpfs "$WORK/native" 4G
run_1m native "$WORK/native"
run_rm native "$WORK/native"
record_medians native
unmount_path "$WORK/native"
for w in rss-idle rss-after rss-peak heap-used; do VAL["$w|native"]="-"; done

# strata memory, small heap: once with the default size limit (what a user gets: 80% of the heap,
# which also caps the inode count at size/256 B), once with an explicit -o size= so that the
# inode limit is not what stops us and the RSS of a full million can be seen.
export STRATA_JAVA_OPTS="$HEAP"
run_strata() { # TARGET MOUNT-OPTIONS...
  local t=$1 mnt="$WORK/$1" pid jcmd used
  shift
  say "== ${TLABEL[$t]} (STRATA_JAVA_OPTS=$HEAP)"
  if ! mount_strata "$t" "$mnt" memory "$mnt" "$@"; then record_rest_na "$t" "$MOUNT_NA"; return 0; fi
  pid=${STRATA_PID[$mnt]}
  say "daemon pid $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-200)"
  grep -q -- "$HEAP" "/proc/$pid/cmdline" || NOTES+=("warning: $HEAP not found on the daemon's command line")
  local df; df=$(df --output=itotal "$mnt" | tail -1 | tr -d " ")
  NOTES+=("${TLABEL[$t]}: statfs reports $df inodes (df -i) right after mounting")
  record "$t" rss-idle "$(kib_to_mib "$(proc_kib "$pid" VmRSS)")"
  run_1m "$t" "$mnt"
  if kill -0 "$pid" 2>/dev/null; then
    record "$t" rss-after "$(kib_to_mib "$(proc_kib "$pid" VmRSS)")"
    # heap in use after a full GC (what the files really cost), via jcmd from the same JDK
    jcmd=$(dirname "$(readlink -f "/proc/$pid/exe")")/jcmd
    if [ -x "$jcmd" ] && timeout 60 "$jcmd" "$pid" GC.run >/dev/null 2>&1; then
      used=$(timeout 60 "$jcmd" "$pid" GC.heap_info 2>/dev/null | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+' || true)
      if [ -n "$used" ]; then record "$t" heap-used "$(kib_to_mib "$used")"; else record_na "$t" heap-used "jcmd GC.heap_info gave no 'used'"; fi
    else record_na "$t" heap-used "jcmd not usable"; fi
    run_rm "$t" "$mnt"
    record_medians "$t"
    kill -0 "$pid" 2>/dev/null && record "$t" rss-peak "$(kib_to_mib "$(proc_kib "$pid" VmHWM)")"
  else
    record_medians "$t"
    record_rest_na "$t" "daemon died: $(strata_log_tail "$t")"
  fi
  unmount_path "$mnt"
  record_rest_na "$t" "not measured (see notes)"
}
run_strata strata
run_strata strata-sized -o "size=$SIZED"

check_count() { # TARGET: the 1M-files target: all created and counted
  local t=$1 v=${VAL["create|$1"]:-n/a} res
  if is_num "$v" && ! printf '%s\n' "${NOTES[@]}" | grep -q "${TLABEL[$t]}: find counted"; then res=PASS; else res="**MISS**"; fi
  CHECKS+=("| $TOTAL empty files, ${TLABEL[$t]} | create $(fmt_val create "$v") s, peak RSS ${VAL["rss-peak|$t"]:-n/a} MiB | $res |")
}
check_count strata
check_count strata-sized

# show MiB rows with their real unit
print_table_1m() { print_table "$@" | sed -E 's/^\| (rss-[a-z]+|heap-used) \| s \|/| \1 | MiB |/'; }
{ env_header; print_table_1m "memory-1m: $TOTAL empty files, Strata daemon with $HEAP" native; print_checks; } > "$RESULTS_MD"
cp "$RESULTS_MD" "$RESULTS_DIR/$BENCH_NAME-latest.md"
cat "$RESULTS_MD"
say "results: $RESULTS_MD"
