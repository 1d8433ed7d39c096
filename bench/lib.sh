# shellcheck shell=bash
# Shared helpers for the Strata benchmarks (sourced by core.sh, memory-1m.sh, passthrough.sh,
# ext2.sh and run-all.sh). See docs/benchmarks.md for what is measured and how to read the tables.
#
# Conventions
#   * A "target" is one column of a table (native, strata, bindfs, ...); a "workload" is a row.
#   * Every workload has a unit: "s" (wall-clock seconds, lower is better), "MiB/s" or "IOPS"
#     (higher is better). Ratios vs the baseline column keep the unit's own direction:
#     time ratio = target_s / baseline_s (<= 1 is as fast as native), throughput ratio =
#     target / baseline (>= 1 is as fast as native). "speed vs PEER" is always oriented so that
#     > 1 means Strata is faster than the peer tool.
#   * A cell that could not be measured holds "n/a" and a note explaining why.
#   * Everything a script mounts is unmounted by the EXIT trap (strata umount, then umount,
#     then aborting the FUSE connection and umount -l as last resort).
#
# Environment knobs (all optional)
#   STRATA         the strata launcher (default: <repo>/strata)
#   STRATA_STATUS  "ok" or a reason; set by run-all.sh so the availability check / build runs once
#   STRATA_BUILD=0 never try to build the jar when it is missing (mark Strata n/a instead)
#   RESULTS_DIR    where tables/logs go (default: bench/results)
#   TREE_TAR       the tree tarball (default: /tmp/strata-bench-tree.tar)
#   STEP_TIMEOUT   seconds after which a single workload step is declared hung (default 300)
#   QUICK=1        smaller fio sizes/runtimes (for debugging the scripts)

set -euo pipefail
shopt -s inherit_errexit 2>/dev/null || true

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
STRATA=${STRATA:-$REPO/strata}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
TREE_TAR=${TREE_TAR:-/tmp/strata-bench-tree.tar}
TREE_SOURCES=(usr/include usr/share/perl)
STEP_TIMEOUT=${STEP_TIMEOUT:-300}
QUICK=${QUICK:-0}
BENCH_NAME=${BENCH_NAME:-bench}

mkdir -p "$RESULTS_DIR"
STAMP=${STAMP:-$(date +%Y%m%d-%H%M%S)}
WORK=$(mktemp -d "/tmp/strata-bench-$BENCH_NAME.XXXXXX")
LOGDIR="$RESULTS_DIR/logs/$BENCH_NAME-$STAMP"
mkdir -p "$LOGDIR"

# ---------------------------------------------------------------- messages

say() { printf '[%s %s] %s\n' "$(date +%T)" "$BENCH_NAME" "$*" >&2; }
die() { say "FATAL: $*"; exit 1; }

require_root() { [ "$(id -u)" = 0 ] || die "must run as root (mounts, drop_caches)"; }
require_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} = 0 ] || die "missing tools: ${missing[*]}"
}

# One line, trimmed, safe for a markdown table cell.
oneline() { tr '\n|' ' /' | sed -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' | cut -c1-"${1:-160}"; }

# ---------------------------------------------------------------- timing

drop_caches() {
  # sync first so dirty pages can be dropped; bounded so a hung FUSE mount cannot hang us.
  timeout 120 sync || say "warning: sync timed out"
  echo 3 > /proc/sys/vm/drop_caches
}

# elapsed T0 T1 -> seconds with 3 decimals ($EPOCHREALTIME values)
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# run_timed LOGFILE SHELL-SNIPPET
#   Runs the snippet in `bash -c` (errexit + pipefail) under `timeout`, measuring wall time
#   inside the child (so bash start-up is not counted). On success sets ELAPSED and returns 0;
#   on failure sets FAIL_REASON ("timed out after Ns (hang?)" or "rc=N: last stderr line").
run_timed() {
  local log=$1 snippet=$2 rc=0 tfile
  tfile=$(mktemp "$WORK/t.XXXXXX")
  ELAPSED=""; FAIL_REASON=""
  timeout -k 10 "$STEP_TIMEOUT" bash -c '
      set -euo pipefail
      t0=$EPOCHREALTIME
      eval "$1"
      t1=$EPOCHREALTIME
      awk -v a="$t0" -v b="$t1" "BEGIN { printf \"%.3f\", b - a }" > "$2"
    ' _ "$snippet" "$tfile" >>"$log" 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then
    ELAPSED=$(cat "$tfile")
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    FAIL_REASON="timed out after ${STEP_TIMEOUT}s (hang?)"
  else
    local why
    why=$(grep -m1 -iE 'error|cannot|not connected|no space|exception|denied|not permitted|invalid' "$log" | grep -v 'Exiting with failure' || true)
    [ -n "$why" ] || why=$(grep -v '^\s*$' "$log" | tail -1)
    FAIL_REASON="rc=$rc: $(echo "$why" | oneline 140)"
  fi
  rm -f "$tfile"
  [ "$rc" = 0 ]
}

# ---------------------------------------------------------------- results

declare -a TARGETS=() WORKLOADS=() NOTES=() CHECKS=()
declare -A TLABEL=() UNIT=() VAL=() WDESC=()

add_target()   { TARGETS+=("$1"); TLABEL[$1]=${2:-$1}; }
add_workload() { WORKLOADS+=("$1"); UNIT[$1]=$2; WDESC[$1]=${3:-}; }

RESULTS_TSV="$RESULTS_DIR/$BENCH_NAME-$STAMP.tsv"
RESULTS_MD="$RESULTS_DIR/$BENCH_NAME-$STAMP.md"

# record TARGET WORKLOAD VALUE [NOTE]
record() {
  VAL["$2|$1"]=$3
  printf '%s\t%s\t%s\t%s\t%s\n' "$BENCH_NAME" "$1" "$2" "$3" "${4:-}" >> "$RESULTS_TSV"
  if [ -n "${4:-}" ]; then NOTES+=("${TLABEL[$1]:-$1} / $2: $4"); fi
}
# record_na TARGET WORKLOAD REASON
record_na() { record "$1" "$2" "n/a" "$3"; say "  $1 $2: n/a ($3)"; }
# mark every not-yet-recorded workload of TARGET n/a with REASON (one note, not one per row)
record_rest_na() {
  local t=$1 reason=$2 w first=1
  for w in "${WORKLOADS[@]}"; do
    [ -n "${VAL["$w|$t"]:-}" ] && continue
    VAL["$w|$t"]="n/a"
    printf '%s\t%s\t%s\t%s\t%s\n' "$BENCH_NAME" "$t" "$w" "n/a" "$reason" >> "$RESULTS_TSV"
    first=0
  done
  [ "$first" = 1 ] || { NOTES+=("${TLABEL[$t]:-$t}: n/a ($reason)"); say "  $t: remaining workloads n/a ($reason)"; }
}

is_num() { [[ ${1:-} =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
lower_better() { [ "${UNIT[$1]}" = s ]; }

fmt_val() { # WORKLOAD VALUE
  local v=$2
  is_num "$v" || { printf '%s' "${v:-n/a}"; return; }
  case "${UNIT[$1]}" in
    s) awk -v v="$v" 'BEGIN { if (v < 1) printf "%.3f", v; else if (v < 100) printf "%.2f", v; else printf "%.1f", v }' ;;
    *) awk -v v="$v" 'BEGIN { printf "%.0f", v }' ;;
  esac
}

# ratio WORKLOAD TARGET BASE -> time ratio (s) or throughput ratio (MiB/s, IOPS); empty if n/a
ratio() {
  local a=${VAL["$1|$2"]:-} b=${VAL["$1|$3"]:-}
  is_num "$a" && is_num "$b" || return 0
  awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) exit; printf "%.3f", a / b }'
}
# speedup WORKLOAD TARGET PEER -> > 1 means TARGET is faster than PEER; empty if n/a
speedup() {
  local a=${VAL["$1|$2"]:-} b=${VAL["$1|$3"]:-}
  is_num "$a" && is_num "$b" || return 0
  if lower_better "$1"; then awk -v a="$a" -v b="$b" 'BEGIN { if (a == 0) exit; printf "%.3f", b / a }'
  else awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) exit; printf "%.3f", a / b }'; fi
}
fmt_x() { [ -n "$1" ] && awk -v v="$1" 'BEGIN { printf "%.2fx", v }' || printf 'n/a'; }
fmt_speed() { # speedup -> "faster 1.80x" / "slower 2.10x" (slower: the peer is that much faster)
  [ -n "$1" ] || { printf 'n/a'; return; }
  awk -v v="$1" 'BEGIN { if (v >= 1) printf "**faster** %.2fx", v; else printf "slower %.2fx", 1 / v }'
}

is_strata() { [[ $1 == strata* ]]; }

# print_table TITLE BASELINE [PEER]  (markdown, to stdout)
print_table() {
  local title=$1 base=$2 peer=${3:-} w t row
  echo "### $title"
  echo
  row="| workload | unit |"
  for t in "${TARGETS[@]}"; do row+=" ${TLABEL[$t]} |"; done
  for t in "${TARGETS[@]}"; do [ "$t" = "$base" ] || row+=" $t/$base |"; done
  if [ -n "$peer" ]; then
    for t in "${TARGETS[@]}"; do is_strata "$t" && row+=" $t vs $peer |"; done
  fi
  echo "$row"
  echo "$row" | sed -e 's/[^|]\+/---/g'
  for w in "${WORKLOADS[@]}"; do
    row="| $w | ${UNIT[$w]} |"
    for t in "${TARGETS[@]}"; do row+=" $(fmt_val "$w" "${VAL["$w|$t"]:-}") |"; done
    for t in "${TARGETS[@]}"; do [ "$t" = "$base" ] || row+=" $(fmt_x "$(ratio "$w" "$t" "$base")") |"; done
    if [ -n "$peer" ]; then
      for t in "${TARGETS[@]}"; do is_strata "$t" && row+=" $(fmt_speed "$(speedup "$w" "$t" "$peer")") |"; done
    fi
    echo "$row"
  done
  echo
  local any=0
  for w in "${WORKLOADS[@]}"; do [ -n "${WDESC[$w]}" ] && { any=1; break; }; done
  if [ "$any" = 1 ]; then
    echo "Workloads:"
    for w in "${WORKLOADS[@]}"; do [ -n "${WDESC[$w]}" ] && echo "- \`$w\`: ${WDESC[$w]}"; done
    echo
  fi
  if [ ${#NOTES[@]} -gt 0 ]; then
    echo "Notes:"
    local n
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo
  fi
}

# Target checks: check_ratio DESC WORKLOAD TARGET BASE OP LIMIT  (OP: le|ge|gt on the ratio)
#                check_speed DESC WORKLOAD TARGET PEER OP LIMIT  (speedup, > 1 = TARGET faster)
_check() {
  local desc=$1 v=$2 op=$3 lim=$4 res
  if [ -z "$v" ]; then res="n/a"
  elif awk -v v="$v" -v l="$lim" -v op="$op" 'BEGIN { exit !((op == "le" && v <= l) || (op == "ge" && v >= l) || (op == "gt" && v > l)) }'
  then res="PASS"; else res="**MISS**"; fi
  CHECKS+=("| $desc | $( [ -n "$v" ] && awk -v v="$v" 'BEGIN { printf "%.2fx", v }' || echo n/a) | $res |")
}
check_ratio() { _check "$1" "$(ratio "$2" "$3" "$4")" "$5" "$6"; }
check_speed() { _check "$1" "$(speedup "$2" "$3" "$4")" "$5" "$6"; }
print_checks() {
  [ ${#CHECKS[@]} -gt 0 ] || return 0
  echo "Targets (from the issue):"
  echo
  echo "| target | measured | result |"
  echo "| --- | --- | --- |"
  local c; for c in "${CHECKS[@]}"; do echo "$c"; done
  echo
}

# The machine may be shared: remember the 1-minute load average when each target starts.
LOADS=""
note_load() { LOADS+="${LOADS:+, }${TLABEL[$1]:-$1} $(cut -d' ' -f1 /proc/loadavg)"; }

machine_line() {
  echo "$(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | oneline)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
}

env_header() {
  local jar="$(dirname "$STRATA")/cli/target/modules/strata-cli.jar" jarinfo="missing"
  [ -f "$jar" ] && jarinfo="built $(date -r "$jar" '+%Y-%m-%d %H:%M')"
  echo "Run $STAMP on $(hostname): $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | oneline)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r); strata commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') + working tree, jar $jarinfo; load average (1 min) when each target started: ${LOADS:-?}; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "Time rows (unit s): lower is better, ratio = target/baseline time. Throughput rows (MiB/s, IOPS): higher is better, ratio = target/baseline throughput. \"X vs PEER\": **faster** Nx = X is N times as fast as PEER; slower Nx = PEER is N times as fast as X. ${TREE_USED:+Tree rows are the median of $TREE_ROUNDS rounds.}"
  echo
}

# write_results TITLE BASE PEER -> prints the markdown and saves it (and a -latest copy)
write_results() {
  { env_header; print_table "$@"; print_checks; } > "$RESULTS_MD"
  cp "$RESULTS_MD" "$RESULTS_DIR/$BENCH_NAME-latest.md"
  cat "$RESULTS_MD"
  say "results: $RESULTS_MD (raw: $RESULTS_TSV, logs: $LOGDIR)"
}

# ---------------------------------------------------------------- mounts

declare -a MOUNTS=()          # "kind:path", in mount order
declare -A STRATA_PID=()      # mount point -> daemon pid
MOUNT_NA=""                   # why the last mount_* failed

is_mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts; }

# The FUSE connection id (minor device) of a mount point, read from mountinfo (never stat()s it).
fuse_conn() { awk -v m="$1" '$5 == m { split($3, d, ":"); c = d[2] } END { if (c != "") print c }' /proc/self/mountinfo; }

mount_alive() { timeout 10 stat -f "$1" >/dev/null 2>&1 && timeout 10 ls "$1" >/dev/null 2>&1; }

_force_unmount() {
  local m=$1 c
  c=$(fuse_conn "$m")
  if [ -n "$c" ] && [ -e "/sys/fs/fuse/connections/$c/abort" ]; then
    echo 1 > "/sys/fs/fuse/connections/$c/abort" 2>/dev/null || true
  fi
  umount -l "$m" 2>/dev/null || true
}

unmount_one() { # kind:path
  local kind=${1%%:*} m=${1#*:} pid
  is_mounted "$m" || { [ "$kind" = strata ] && _reap_strata "$m"; return 0; }
  say "unmounting $m ($kind)"
  case "$kind" in
    strata) timeout 60 "$STRATA" umount "$m" >>"$LOGDIR/umount.log" 2>&1 || true ;;
    fuse) timeout 30 fusermount -u "$m" 2>/dev/null || timeout 30 umount "$m" 2>/dev/null || true ;;
    *) timeout 60 umount "$m" 2>/dev/null || true ;;
  esac
  if is_mounted "$m"; then
    say "warning: $m still mounted; forcing (abort FUSE connection / umount -l)"
    _force_unmount "$m"
  fi
  [ "$kind" = strata ] && _reap_strata "$m"
  return 0
}

_reap_strata() { # give the daemon a moment to exit after unmount, then kill it (by pid)
  local m=$1 pid=${STRATA_PID[$1]:-} i
  [ -n "$pid" ] || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "warning: strata daemon $pid did not exit after unmount; killing it"
    kill "$pid" 2>/dev/null || true; sleep 1; kill -9 "$pid" 2>/dev/null || true
  fi
  unset "STRATA_PID[$m]"
}

# unmount the most recent mount at PATH (and drop it from MOUNTS)
unmount_path() {
  local m=$1 i entry=""
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    if [ "${MOUNTS[$i]#*:}" = "$m" ]; then entry=${MOUNTS[$i]}; unset "MOUNTS[$i]"; MOUNTS=("${MOUNTS[@]}"); break; fi
  done
  [ -n "$entry" ] && unmount_one "$entry"
  return 0
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do unmount_one "${MOUNTS[$i]}" || true; done
  MOUNTS=()
  # Only delete the work dir when nothing is mounted below it any more.
  if ! grep -q " $WORK" /proc/self/mounts; then rm -rf --one-file-system "$WORK"
  else say "warning: something is still mounted under $WORK; leaving it"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

mount_tmpfs() { # DIR [SIZE]
  mkdir -p "$1"
  mount -t tmpfs -o "size=${2:-8G}" "strata-bench-tmpfs" "$1"
  MOUNTS+=("kernel:$1")
}

mount_bindfs() { # SRC MNT
  mkdir -p "$2"
  if ! timeout 30 bindfs "$1" "$2" >"$LOGDIR/bindfs-$(basename "$2").log" 2>&1; then
    MOUNT_NA="bindfs failed: $(tail -1 "$LOGDIR/bindfs-$(basename "$2").log" | oneline)"; return 1
  fi
  MOUNTS+=("fuse:$2")
}

mount_fuse2fs() { # IMAGE MNT
  mkdir -p "$2"
  if ! timeout 30 fuse2fs "$1" "$2" >"$LOGDIR/fuse2fs.log" 2>&1 || ! is_mounted "$2"; then
    MOUNT_NA="fuse2fs failed: $(tail -1 "$LOGDIR/fuse2fs.log" | oneline)"; is_mounted "$2" && _force_unmount "$2"; return 1
  fi
  MOUNTS+=("fuse:$2")
}

mount_kext2() { # IMAGE MNT
  mkdir -p "$2"
  if ! mount -t ext2 -o loop "$1" "$2" 2>"$LOGDIR/kext2.log"; then
    MOUNT_NA="mount -o loop failed: $(tail -1 "$LOGDIR/kext2.log" | oneline)"; return 1
  fi
  MOUNTS+=("kernel:$2")
}

# strata_available: is the strata CLI usable? Sets STRATA_STATUS ("ok" or the reason) once.
strata_available() {
  if [ -z "${STRATA_STATUS:-}" ]; then
    local jar="$REPO/cli/target/modules/strata-cli.jar"
    if [ ! -x "$STRATA" ]; then
      STRATA_STATUS="launcher $STRATA not found"
    elif [ ! -f "$jar" ] && [ "${STRATA_BUILD:-1}" = 0 ]; then
      STRATA_STATUS="not built (cli/target/modules missing)"
    elif [ ! -f "$jar" ]; then
      say "cli/target/modules missing: building (./dev build, up to 10 min)..."
      if (cd "$REPO" && timeout 600 ./dev build) >"$LOGDIR/build.log" 2>&1 && [ -f "$jar" ]; then
        STRATA_STATUS=ok
      else
        local why
        why=$(grep -m1 -E '^\[ERROR\] /' "$LOGDIR/build.log" | sed -e 's/^\[ERROR\] //' -e "s#$REPO/##" | oneline 150)
        STRATA_STATUS="CLI does not build yet: ${why:-see $LOGDIR/build.log}"
      fi
    else
      STRATA_STATUS=ok
    fi
    # Run from a private copy of the launcher + jar, so a rebuild in the repo during the run
    # (other people keep building) cannot pull the jar from under a running daemon.
    if [ "$STRATA_STATUS" = ok ] && [ "${STRATA_SNAPSHOT:-1}" = 1 ] && [ "$STRATA" = "$REPO/strata" ]; then
      local snap="$WORK/strata-snapshot"
      mkdir -p "$snap/scripts" "$snap/cli/target"
      cp "$REPO/strata" "$snap/strata" && cp "$REPO/scripts/find-jdk.sh" "$snap/scripts/" && cp -rp "$REPO/cli/target/modules" "$snap/cli/target/"
      STRATA="$snap/strata"
      export STRATA
      say "using a snapshot of the jar ($(date -r "$jar" '+%H:%M:%S') build): $STRATA"
    fi
    export STRATA_STATUS
    [ "$STRATA_STATUS" = ok ] || say "Strata unavailable: $STRATA_STATUS"
  fi
  [ "$STRATA_STATUS" = ok ]
}

# mount_strata NAME MNT strata-mount-args...   e.g. mount_strata strata /tmp/x/mnt memory /tmp/x/mnt -o size=4G
# On success the daemon pid is in STRATA_PID[MNT]; on failure MOUNT_NA says why.
mount_strata() {
  local name=$1 mnt=$2 out rc=0 pid
  shift 2
  MOUNT_NA=""
  strata_available || { MOUNT_NA=$STRATA_STATUS; return 1; }
  mkdir -p "$mnt"
  local log="$LOGDIR/strata-$name.log"
  say "strata mount $* (log $log)"
  out=$(timeout 120 "$STRATA" mount "$@" --log "$log" 2>&1) || rc=$?
  echo "$out" >> "$LOGDIR/strata-$name.mount.out"
  if [ "$rc" != 0 ] || ! is_mounted "$mnt"; then
    if [ "$rc" = 124 ]; then MOUNT_NA="strata mount timed out after 120s"
    else MOUNT_NA="strata mount failed (rc=$rc): $(echo "$out" | grep -v '^\s*$' | tail -2 | oneline 150)"; fi
    # never leave a half-made mount behind
    if is_mounted "$mnt"; then timeout 30 "$STRATA" umount -l "$mnt" >/dev/null 2>&1 || _force_unmount "$mnt"; fi
    pid=$(pgrep -f "io.strata.cli.Main mount .*$mnt" | head -1 || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    return 1
  fi
  pid=$(echo "$out" | sed -n 's/.*daemon pid \([0-9]\+\).*/\1/p' | head -1)
  [ -n "$pid" ] || pid=$(pgrep -f "io.strata.cli.Main mount .*$mnt" | head -1 || true)
  STRATA_PID[$mnt]=$pid
  MOUNTS+=("strata:$mnt")
  say "strata mounted at $mnt (daemon pid ${pid:-?})"
}

# Last lines of a strata daemon log, for a note when something failed mid-run.
strata_log_tail() {
  local f="$LOGDIR/strata-$1.log"
  [ -f "$f" ] && grep -v '^\s*$' "$f" | grep -iE 'exception|error|fatal|killed|OutOfMemory' | tail -1 | oneline 160
}

# ---------------------------------------------------------------- the tree

# Make the tree tarball once: /usr/include + /usr/share/perl (~10k entries, ~150 MB).
prepare_tree() {
  if [ ! -s "$TREE_TAR" ]; then
    say "making the tree tarball $TREE_TAR (${TREE_SOURCES[*]})"
    tar -cf "$TREE_TAR.tmp" -C / "${TREE_SOURCES[@]}"
    mv "$TREE_TAR.tmp" "$TREE_TAR"
  fi
  if [ -z "${TREE_DESC:-}" ]; then
    TREE_DESC=$(tar -tvf "$TREE_TAR" | awk '{ n++; if ($1 ~ /^-/) { f++; b += $3 } else if ($1 ~ /^d/) d++ }
      END { printf "%d entries (%d files, %d dirs), %.0f MiB of file data", n, f, d, b / 1048576 }')
    export TREE_DESC
  fi
  if [ -z "${TREE_ENTRIES_PLUS:-}" ]; then
    # what `find MNT/usr | wc -l` prints after the untar: the entries, plus usr and usr/share
    TREE_ENTRIES_PLUS=$(( $(tar -tf "$TREE_TAR" | wc -l) + 2 ))
    export TREE_ENTRIES_PLUS
  fi
  say "tree: $TREE_TAR: $TREE_DESC"
}

warm_tarball() { cat "$TREE_TAR" > /dev/null; }

# ---------------------------------------------------------------- workloads

# Each workload runs in its own `bash -c` under a timeout. SYNC_PATHS (space-separated) are
# syncfs'ed at the end of the writing tree workloads (untar, rm): the mount itself and, for
# stacked targets, the file system below it, so every column pays for getting its data to
# the same place.
SYNC_PATHS=""

define_tree_workloads() {
  add_workload untar s "\`tar -xf tree.tar\` into the mount, then \`sync -f\` (mount + backing fs)"
  add_workload find-stat-warm s "\`find DIR -printf '%s %m %T@\\n'\`, second of two runs"
  add_workload find-stat-cold s "same, after \`sync; echo 3 > /proc/sys/vm/drop_caches\`"
  add_workload read-all-cold s "\`tar -cf - . | cat > /dev/null\` after drop_caches (reads every file)"
  add_workload rm-rf s "\`rm -rf\` the tree, then \`sync -f\`"
}

# run_step TARGET WORKLOAD SNIPPET -> appends the seconds to SAMPLES, or records n/a. Returns 1 if it failed.
declare -A SAMPLES=()
run_step() {
  local t=$1 w=$2 snippet=$3
  local log="$LOGDIR/$t-$w.log"
  if run_timed "$log" "$snippet"; then
    SAMPLES["$w|$t"]+="$ELAPSED "; say "  $t $w: ${ELAPSED}s"
  else
    record_na "$t" "$w" "$FAIL_REASON"; return 1
  fi
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# record the median of the samples of every workload of TARGET that has samples and no value yet
record_medians() {
  local t=$1 w s
  for w in "${WORKLOADS[@]}"; do
    s=${SAMPLES["$w|$t"]:-}
    [ -n "$s" ] && [ -z "${VAL["$w|$t"]:-}" ] || continue
    record "$t" "$w" "$(echo "$s" | median)"
    printf '%s\t%s\t%s\tsamples\t%s\n' "$BENCH_NAME" "$t" "$w" "$s" >> "$RESULTS_TSV"
  done
}

# after a failure: if the mount is gone/dead, mark the rest n/a and return 1
still_alive_or_na() { # TARGET DIR
  if ! mount_alive "$2"; then
    local why="mount died"; is_strata "$1" && { local l; l=$(strata_log_tail "$1"); [ -n "$l" ] && why+=" ($l)"; }
    record_medians "$1"; record_rest_na "$1" "$why"; return 1
  fi
}

TREE_ROUNDS=${TREE_ROUNDS:-3}
[ "$QUICK" = 1 ] && TREE_ROUNDS=1

# run_tree_workloads TARGET DIR: TREE_ROUNDS rounds of untar / find warm / find cold / read / rm;
# each workload's value is the median over the rounds.
run_tree_workloads() {
  local t=$1 d=$2 sync_cmd="" p r ok
  for p in $SYNC_PATHS; do sync_cmd+="sync -f '$p'; "; done
  note_load "$t"
  TREE_USED=1
  for ((r = 1; r <= TREE_ROUNDS; r++)); do
    say "$t: tree workloads in $d (round $r/$TREE_ROUNDS)"
    drop_caches_keep_tar
    ok=1
    _tree_round "$t" "$d" "$sync_cmd" || ok=0
    if [ "$ok" = 0 ]; then still_alive_or_na "$t" "$d" || return 0; break; fi
  done
  record_medians "$t"
}

_tree_round() {
  local t=$1 d=$2 sync_cmd=$3 n
  run_step "$t" untar "tar -xf '$TREE_TAR' -C '$d'; $sync_cmd" || return 1
  # make sure the untar is complete before timing the rest
  n=$(timeout 120 find "$d/usr" | wc -l || echo 0)
  [ "$n" = "$TREE_ENTRIES_PLUS" ] || say "  warning: $t: $n entries after untar, expected $TREE_ENTRIES_PLUS"
  find "$d" -printf '%s %m %T@\n' > /dev/null 2>&1 || true
  run_step "$t" find-stat-warm "find '$d' -printf '%s %m %T@\n' > /dev/null" || return 1
  drop_caches
  run_step "$t" find-stat-cold "find '$d' -printf '%s %m %T@\n' > /dev/null" || return 1
  drop_caches
  run_step "$t" read-all-cold "tar -cf - -C '$d' . | cat > /dev/null" || return 1
  run_step "$t" rm-rf "rm -rf '$d'/usr; $sync_cmd" || return 1
}

# Before untar we want cold metadata but a warm tarball (the source should not be measured).
drop_caches_keep_tar() { drop_caches; warm_tarball; }

FIO_SIZE=${FIO_SIZE:-512m}
FIO_RAND_RUNTIME=${FIO_RAND_RUNTIME:-15}
if [ "$QUICK" = 1 ]; then FIO_SIZE=64m; FIO_RAND_RUNTIME=3; fi

define_fio_workloads() {
  add_workload fio-seq-write MiB/s "fio 1 MiB sequential write of $FIO_SIZE, psync, end_fsync=1"
  add_workload fio-seq-read MiB/s "fio 1 MiB sequential read of that file after drop_caches, psync"
  add_workload fio-rand-read-warm IOPS "fio 4 KiB random read in that file right after the sequential read (invalidate=0: the page cache is warm), psync, ${FIO_RAND_RUNTIME}s time-based"
  add_workload fio-rand-read-cold IOPS "same after drop_caches (fio's default invalidate=1 and fadvise RANDOM). The file warms up during the run; how fast depends on readahead below the FUSE file (the daemon's or the passthrough backing file's)"
}

# fio_job TARGET WORKLOAD DIR fio-args... -> prints the fio JSON path or fails
_fio() {
  local t=$1 w=$2 d=$3; shift 3
  local out="$LOGDIR/$t-$w.json" rc=0
  timeout -k 10 "$STEP_TIMEOUT" fio --name="$w" --directory="$d" --filename=fio.dat --size="$FIO_SIZE" \
    --ioengine=psync --fallocate=none --output-format=json --output="$out" "$@" >"$LOGDIR/$t-$w.log" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    if [ "$rc" = 124 ]; then FAIL_REASON="timed out after ${STEP_TIMEOUT}s (hang?)"
    else FAIL_REASON="fio rc=$rc: $(grep -v '^\s*$' "$LOGDIR/$t-$w.log" "$out" 2>/dev/null | grep -iE 'err|fail' | tail -1 | cut -d: -f2- | oneline 140)"; fi
    return 1
  fi
  local e; e=$(jq -r '.jobs[0].error' "$out" 2>/dev/null || echo parse)
  [ "$e" = 0 ] || { FAIL_REASON="fio job error $e"; return 1; }
  FIO_JSON=$out
}

run_fio_workloads() { # TARGET DIR
  local t=$1 d=$2 v
  say "$t: fio in $d (size $FIO_SIZE)"
  if _fio "$t" fio-seq-write "$d" --rw=write --bs=1m --end_fsync=1; then
    v=$(jq -r '.jobs[0].write.bw / 1024' "$FIO_JSON"); record "$t" fio-seq-write "$v"; say "  $t fio-seq-write: $v MiB/s"
  else record_na "$t" fio-seq-write "$FAIL_REASON"; still_alive_or_na "$t" "$d" || return 0; fi
  drop_caches
  if _fio "$t" fio-seq-read "$d" --rw=read --bs=1m; then
    v=$(jq -r '.jobs[0].read.bw / 1024' "$FIO_JSON"); record "$t" fio-seq-read "$v"; say "  $t fio-seq-read: $v MiB/s"
  else record_na "$t" fio-seq-read "$FAIL_REASON"; still_alive_or_na "$t" "$d" || return 0; fi
  if _fio "$t" fio-rand-read-warm "$d" --rw=randread --bs=4k --runtime="$FIO_RAND_RUNTIME" --time_based --invalidate=0; then
    v=$(jq -r '.jobs[0].read.iops' "$FIO_JSON"); record "$t" fio-rand-read-warm "$v"; say "  $t fio-rand-read-warm: $v IOPS"
  else record_na "$t" fio-rand-read-warm "$FAIL_REASON"; still_alive_or_na "$t" "$d" || return 0; fi
  drop_caches
  if _fio "$t" fio-rand-read-cold "$d" --rw=randread --bs=4k --runtime="$FIO_RAND_RUNTIME" --time_based; then
    v=$(jq -r '.jobs[0].read.iops' "$FIO_JSON"); record "$t" fio-rand-read-cold "$v"; say "  $t fio-rand-read-cold: $v IOPS"
  else record_na "$t" fio-rand-read-cold "$FAIL_REASON"; still_alive_or_na "$t" "$d" || return 0; fi
  rm -f "$d/fio.dat" 2>/dev/null || true
}
