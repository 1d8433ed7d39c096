#!/usr/bin/env bash
# strata install [--prefix DIR] | strata uninstall [--prefix DIR]
# Puts a `strata` command on PATH (DIR/bin, default /usr/local/bin) that runs this checkout, and a
# DIR/sbin/mount.fuse.strata link to mount.fuse3, so `mount -t fuse.strata SOURCE MNT -o ...`,
# fstab lines and systemd mount units work (mount.fuse3 runs `strata SOURCE MNT -o OPTS`).
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
action=$1; shift
prefix=/usr/local
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "strata $action: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) echo "usage: strata install|uninstall [--prefix DIR]   (default /usr/local)"; exit 0 ;;
    *) echo "strata $action: unknown argument '$1' (usage: strata $action [--prefix DIR])" >&2; exit 2 ;;
  esac
done
marker="# installed by strata install"
bin="$prefix/bin/strata"; helper="$prefix/sbin/mount.fuse.strata"
case "$action" in
  install)
    [ -f "$repo/cli/target/modules/strata-cli.jar" ] || "$repo/strata" --version >/dev/null
    if [ -e "$bin" ] && ! grep -q "$marker" "$bin" 2>/dev/null; then
      echo "strata install: $bin exists and is not ours; not replacing it" >&2; exit 1
    fi
    mkdir -p "$prefix/bin" "$prefix/sbin"
    tmp=$(mktemp "$prefix/bin/.strata.XXXXXX")
    printf '#!/bin/sh\n%s from %s\nexec %q "$@"\n' "$marker" "$repo" "$repo/strata" > "$tmp"
    chmod 755 "$tmp"; mv -f "$tmp" "$bin"
    fuse_helper=$(command -v mount.fuse3 || ls /sbin/mount.fuse3 /usr/sbin/mount.fuse3 2>/dev/null | head -1 || true)
    if [ -n "$fuse_helper" ]; then ln -sfn "$fuse_helper" "$helper"; else
      echo "strata install: mount.fuse3 not found (install fuse3): mount -t fuse.strata will not work" >&2; fi
    echo "strata: installed $bin${fuse_helper:+ and $helper}"
    case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "strata: note: $prefix/bin is not on PATH" ;; esac
    ;;
  uninstall)
    if [ -e "$bin" ]; then
      grep -q "$marker" "$bin" 2>/dev/null || { echo "strata uninstall: $bin is not ours; leaving it" >&2; exit 1; }
      rm -f "$bin"
    fi
    [ -L "$helper" ] && rm -f "$helper"
    echo "strata: uninstalled from $prefix"
    ;;
esac
