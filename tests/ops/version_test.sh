#!/usr/bin/env bash
# ops:version — cmake/version.cmake, the build-time version behind `spillway --version`: the project version
# outside a git checkout, "<project version>-g<commit>" in a checkout without tags, `git describe` with a
# tag, "-dirty" for uncommitted changes, and no rewrite of the header when nothing changed.
#   usage: version_test.sh <source dir>
set -euo pipefail
script="$1/cmake/version.cmake"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

version_of() {  # <source dir>: runs the script as the build does and prints the SPILLWAY_VERSION it wrote
  rm -f "$work/out.hpp"
  cmake -DSOURCE_DIR="$1" -DOUTPUT="$work/out.hpp" -DFALLBACK_VERSION=9.8.7 -DBUILD_TYPE=Release -P "$script"
  grep -q '^#define SPILLWAY_BUILD_TYPE "Release"$' "$work/out.hpp" || fail "no build type in $(cat "$work/out.hpp")"
  sed -n 's/^#define SPILLWAY_VERSION "\(.*\)"$/\1/p' "$work/out.hpp"
}

mkdir "$work/tarball"
echo x > "$work/tarball/file"
[ "$(version_of "$work/tarball")" = 9.8.7 ] || fail "outside git: expected 9.8.7, got $(version_of "$work/tarball")"
echo "ok: not a checkout -> 9.8.7"

command -v git >/dev/null || { echo "SKIP: the git cases need git"; exit 0; }
repo="$work/repo"
g() { git -C "$repo" -c user.name=test -c user.email=test@example.org -c commit.gpgsign=false "$@"; }
git init -q "$repo"
echo a > "$repo/a"
g add a
g commit -qm first
commit=$(g rev-parse --short=7 HEAD)
v=$(version_of "$repo")
[[ "$v" == 9.8.7-g"$commit"* ]] || fail "no tag: expected 9.8.7-g$commit..., got $v"
echo "ok: no tag -> $v"

# A directory inside a checkout that is not its top level is not "the checkout of these sources".
mkdir "$repo/sub"
[ "$(version_of "$repo/sub")" = 9.8.7 ] || fail "a subdirectory of another repository must not take its commit"
rmdir "$repo/sub"

echo b >> "$repo/a"
v=$(version_of "$repo")
[[ "$v" == *-dirty ]] || fail "uncommitted change: expected -dirty, got $v"
g commit -qam second
g tag v1.2.3
[ "$(version_of "$repo")" = v1.2.3 ] || fail "at a tag: expected v1.2.3, got $(version_of "$repo")"
echo c >> "$repo/a"
g commit -qam third
v=$(version_of "$repo")
[[ "$v" == v1.2.3-1-g* ]] || fail "one commit after the tag: expected v1.2.3-1-g..., got $v"
echo "ok: tags -> v1.2.3, then $v; dirty tree -> -dirty"

# Unchanged version: the header is not rewritten, so nothing that includes it recompiles.
cmake -DSOURCE_DIR="$repo" -DOUTPUT="$work/stable.hpp" -DFALLBACK_VERSION=9.8.7 -DBUILD_TYPE=Release -P "$script"
touch -d '2000-01-01' "$work/stable.hpp"
cmake -DSOURCE_DIR="$repo" -DOUTPUT="$work/stable.hpp" -DFALLBACK_VERSION=9.8.7 -DBUILD_TYPE=Release -P "$script"
[ "$(stat -c %Y "$work/stable.hpp")" -eq "$(date -d '2000-01-01' +%s)" ] || fail "an unchanged version rewrote the header"
echo "ok: unchanged version leaves the header untouched"
