#!/bin/sh
# Builds a commit twice from fresh clones, in different directories, time zones, locales and under different user
# names, and compares every jar byte for byte. Prints the node jar's SHA-384 and the simulated launch measurement
# derived from it ('veilraft measure JAR'), and exits 1 if any jar differs. ReproducibleBuildIT checks the packaging on
# every CI run; this script also covers compilation and protoc, at the price of two full builds.
#
#   docker/reproducible-build-check.sh [COMMIT]      default HEAD; MVN_ARGS=-o builds offline
#
# Both builds use umask 022: the node jar's entries carry no file modes, but the module jars keep the group and
# other read bits of the files they pack (plexus-archiver), so those differ under umask 077.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-HEAD}
work=$(mktemp -d "${TMPDIR:-/tmp}/veilraft-reproducible.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

clone() {
  git clone -q --no-checkout "$repo" "$1"
  git -C "$1" checkout -q "$commit"
}
clone "$work/a"
clone "$work/elsewhere/deeper/b"
echo "commit $(git -C "$work/a" rev-parse HEAD)"

# shellcheck disable=SC2086 # MVN_ARGS is a list of options
(cd "$work/a" && umask 022 && TZ=UTC LC_ALL=C MAVEN_OPTS="-Duser.name=builder-a" \
  mvn -B -q -ntp ${MVN_ARGS:-} -Dmaven.test.skip=true package)
# shellcheck disable=SC2086
(cd "$work/elsewhere/deeper/b" && umask 022 && TZ=Pacific/Chatham LC_ALL=tr_TR.UTF-8 \
  MAVEN_OPTS="-Duser.name=builder-b -Duser.timezone=Asia/Kolkata -Duser.language=tr -Duser.country=TR -Dfile.encoding=ISO-8859-1" \
  mvn -B -q -ntp ${MVN_ARGS:-} -Dmaven.test.skip=true package)

status=0
jars=0
for a in "$work"/a/*/target/*.jar; do
  b="$work/elsewhere/deeper/b/${a#"$work"/a/}"
  jars=$((jars + 1))
  if ! cmp -s "$a" "$b"; then
    echo "DIFFERS ${a#"$work"/a/}"
    status=1
  fi
done
[ "$jars" -gt 0 ] || { echo "FAILED no jars were built"; exit 1; }
node_jar="$work/a/node/target/veilraft.jar"
echo "node jar SHA-384 $(sha384sum "$node_jar" | cut -d' ' -f1)"
# --jar: older commits know only the option form.
echo "simulated measurement $(java -jar "$node_jar" measure --jar "$node_jar")"
if [ "$status" -eq 0 ]; then
  echo "REPRODUCIBLE $jars jars byte-identical"
else
  echo "NOT REPRODUCIBLE (see the DIFFERS lines)"
fi
exit "$status"
