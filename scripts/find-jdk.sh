# Sourced by ./strata and ./dev: exports JAVA_HOME pointing at a JDK >= 25, or explains what is missing.
strata_jdk_version() { # prints the feature version of the JDK at $1, or nothing
  local v=""
  # the JDK's release file says it without starting a JVM (~150 ms on every strata command)
  [ -r "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  echo "${v%%.*}"
}
strata_pick_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(strata_jdk_version "$c")
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}
if ! STRATA_JDK=$(strata_pick_jdk); then
  echo "strata: needs a JDK >= 25 (for java.lang.foreign). Checked \$JAVA_HOME (${JAVA_HOME:-unset}) and /usr/lib/jvm/*." >&2
  echo "strata: install one (e.g. Temurin 25) and/or set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME="$STRATA_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
