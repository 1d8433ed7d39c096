#!/usr/bin/env bash
# Runs the Strata benchmarks and prints their tables. Results (markdown + TSV + logs) go to
# bench/results/ (gitignored); bench/results/all-latest.md holds the tables of the last run.
#
#   bash bench/run-all.sh [--core] [--memory] [--passthrough] [--ext2] [--union] [--quick] [--no-build] [--update-docs]
#   ./dev bench [same flags]       (builds first)
#
# With no suite flag every suite runs (core ~3 min, memory-1m ~3.5 min, passthrough ~6 min,
# ext2 ~2.5 min; ~15 min in all). --quick shrinks fio sizes and runs one tree round (for checking the scripts).
# --no-build: if cli/target/strata.jar is missing, mark Strata n/a instead of building it.
# --update-docs: also replace the results section of docs/benchmarks.md with this run's tables.
BENCH_NAME=run-all
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

suites=() update_docs=0
for a in "$@"; do
  case "$a" in
    --core) suites+=(core) ;;
    --memory|--memory-1m|--1m) suites+=(memory-1m) ;;
    --passthrough) suites+=(passthrough) ;;
    --ext2) suites+=(ext2) ;;
    --union) suites+=(union) ;;
    --all) suites=(core memory-1m passthrough ext2 union) ;;
    --quick) export QUICK=1 ;;
    --no-build) export STRATA_BUILD=0 ;;
    --update-docs) update_docs=1 ;;
    -h|--help) usage 0 ;;
    *) echo "run-all: unknown flag $a" >&2; usage 2 ;;
  esac
done
[ ${#suites[@]} -gt 0 ] || suites=(core memory-1m passthrough ext2)

require_root
export STAMP RESULTS_DIR
strata_available || true      # builds once if needed; the suites reuse STRATA_STATUS
export STRATA_STATUS

all="$RESULTS_DIR/all-$STAMP.md"
: > "$all"
failed=()
for s in "${suites[@]}"; do
  say "===== $s ====="
  t0=$EPOCHREALTIME
  if bash "$BENCH_DIR/$s.sh"; then
    say "===== $s done in $(elapsed "$t0" "$EPOCHREALTIME") s"
    md="$RESULTS_DIR/$s-$STAMP.md"
    { sed -n '/^###/p' "$md" | head -1; echo; grep '^Run ' "$md"; echo; sed -n '/^###/,$p' "$md" | tail -n +2; echo "Suite run time: $(printf '%.0f' "$(elapsed "$t0" "$EPOCHREALTIME")") s."; echo; } >> "$all"
  else
    rc=$?
    failed+=("$s")
    say "===== $s FAILED (rc=$rc)"
    { echo "### $s"; echo; echo "The script failed (rc=$rc); see $LOGDIR/../ and the console output."; echo; } >> "$all"
  fi
done
{ echo "Run $STAMP ($(date -u '+%Y-%m-%d %H:%M UTC')): bench/run-all.sh $*"; echo "Machine: $(machine_line); strata commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') + working tree."; echo; cat "$all"; } > "$all.tmp" && mv "$all.tmp" "$all"
cp "$all" "$RESULTS_DIR/all-latest.md"

echo
echo "================================================================ results"
cat "$all"
say "all tables: $all"

if [ "$update_docs" = 1 ]; then
  doc="$REPO/docs/benchmarks.md"
  if [ -f "$doc" ] && grep -q '<!-- results:begin -->' "$doc"; then
    awk -v f="$all" '
      /<!-- results:begin -->/ { print; print ""; while ((getline l < f) > 0) print l; skip = 1; next }
      /<!-- results:end -->/ { skip = 0 }
      !skip' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
    say "updated $doc"
  else
    say "warning: $doc has no '<!-- results:begin -->' marker; not updated"
  fi
fi
[ ${#failed[@]} = 0 ] || { say "failed suites: ${failed[*]}"; exit 1; }
