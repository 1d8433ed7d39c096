#!/usr/bin/env bash
# Requests per extracted file: untar of a tree into a Strata mount, counted by the daemon's own
# request statistics (kill -USR1 before and after the untar; the difference is the untar's).
#   bash bench/requests-per-file.sh [BACKEND-ARGS...]     default: memory
#   TREE=/usr/include (default) is tarred once to /tmp/strata-rpf-tree.tar
# Prints, for untar, find, ls -laR and rm -rf, the requests per opcode and per tree entry. As root.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tree="${TREE:-/usr/include}"
tar_file=/tmp/strata-rpf-tree.tar
[ -f "$tar_file" ] || tar -C "$(dirname "$tree")" -cf "$tar_file" "$(basename "$tree")"
entries=$(tar -tf "$tar_file" | wc -l)
work=$(mktemp -d /tmp/strata-rpf.XXXXXX)
mnt="$work/mnt"; log="$work/daemon.log"; mkdir "$mnt"
backend=("${@:-memory}")
cleanup() { "$here/strata" umount "$mnt" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
"$here/strata" mount "${backend[@]}" "$mnt" --log "$log" >/dev/null
pid=$(pgrep -f -n "mount .* $mnt( |\$)")
tables() { grep -c 'request statistics for' "$log" || true; }
snap() { # kill -USR1 and wait for the table to appear whole (its rows follow in the same write)
  local n; n=$(tables); kill -USR1 "$pid"
  for _ in $(seq 100); do [ "$(tables)" -gt "$n" ] && { sleep 0.2; return; }; sleep 0.05; done
  echo "no statistics table in $log" >&2; exit 1
}
# per_phase NAME: the requests between the last two tables, per opcode, most frequent first.
per_phase() {
  echo "== $1"
  awk '
    /request statistics for/ { t++; next }
    t >= 1 && NF == 8 && $2 ~ /^[0-9]+$/ { c[t, $1] = $2; ops[$1] = 1 }
    END { for (op in ops) { d = c[t, op] - c[t - 1, op]; if (d > 0) print d, op } }' "$log" | sort -rn |
  awk -v entries="$entries" '
    BEGIN { printf "%-16s %10s %10s\n", "opcode", "requests", "per-entry" }
    { printf "%-16s %10d %10.2f\n", $2, $1, $1 / entries; total += $1 }
    END { printf "%-16s %10d %10.2f   (%d entries)\n", "total", total, total / entries, entries }'
}
cat "$tar_file" > /dev/null # the source in the page cache
snap
tar -xf "$tar_file" -C "$mnt"
sync -f "$mnt"
snap
per_phase "untar"
find "$mnt" -printf '%s %m %T@\n' > /dev/null
snap
per_phase "find -printf (first run after the untar)"
ls -laR "$mnt" > /dev/null
snap
per_phase "ls -laR"
rm -rf "${mnt:?}"/*
snap
per_phase "rm -rf"
