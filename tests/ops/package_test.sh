#!/usr/bin/env bash
# ops:package — the Debian package, end to end, on this machine: build it with CPack from the build
# directory, install it with dpkg, check what it installed (binary, conffile, user, state directory, unit),
# run the installed `spillway config check`, remove and purge it, and run lintian on the .deb.
#   usage: package_test.sh <build dir> <source dir>
# Needs root (dpkg -i) and exits 77 (ctest: skipped) without it. Refuses to run when a spillway package is
# already installed, rather than replace or remove someone's installation.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: installing a package needs root (CI runs this as root)"
  exit 77
fi
state() { dpkg-query -W -f='${db:Status-Status}' spillway 2>/dev/null || true; }  # installed, config-files, ...
case "$(state)" in
  "" | not-installed) ;;
  *) fail "a spillway package is on this machine ($(state)); remove it first (dpkg --purge spillway)" ;;
esac
for tool in cpack dpkg dpkg-deb lintian systemd-analyze runuser; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh installs it)"
done
user_existed=no
getent passwd spillway >/dev/null && user_existed=yes

work=$(mktemp -d)
installed=no
cleanup() {
  if [ "$installed" = yes ]; then dpkg --purge spillway >/dev/null 2>&1 || true; fi
  # The package leaves its system user on purge (Debian practice); the test removes the one it made.
  if [ "$user_existed" = no ] && getent passwd spillway >/dev/null; then
    deluser --system spillway >/dev/null 2>&1 || true
    if getent group spillway >/dev/null; then delgroup --system spillway >/dev/null 2>&1 || true; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Build the package from what the build directory holds (cpack installs the built targets; it does not build).
cmake --build "$build_dir" --target spillway spillway_package_files > "$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; fail "building spillway and the package files failed"; }
(cd "$build_dir" && cpack -G DEB -B "$work/out" > "$work/cpack.log" 2>&1) \
  || { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(find "$work/out" -maxdepth 1 -name 'spillway_*.deb' | head -1)
[ -n "$deb" ] || fail "cpack made no spillway_*.deb in $work/out"
echo "ok: built $(basename "$deb")"

# 2. What is inside, before installing.
dpkg-deb --contents "$deb" > "$work/contents"
for path in ./usr/bin/spillway ./etc/spillway/spillway.toml ./lib/systemd/system/spillway.service \
            ./usr/share/doc/spillway/copyright ./usr/share/doc/spillway/changelog.Debian.gz \
            ./usr/share/man/man1/spillway.1.gz; do
  grep -q " $path\$" "$work/contents" || { cat "$work/contents" >&2; fail "the package has no $path"; }
done
grep -q " root/root .* ./usr/bin/spillway$" "$work/contents" || fail "/usr/bin/spillway is not owned by root"
# The dashboard and the alert rules are packaged exactly when they exist in ops/; none, no /usr/share/spillway.
ops_files=()
for optional in grafana/spillway.json prometheus/alerts.yml; do
  if [ -f "$source_dir/ops/$optional" ]; then
    ops_files+=("$optional")
    grep -q " ./usr/share/spillway/$optional\$" "$work/contents" || fail "ops/$optional exists but is not packaged"
  else
    ! grep -q " ./usr/share/spillway/$optional\$" "$work/contents" || fail "ops/$optional does not exist but is packaged"
  fi
done
if [ "${#ops_files[@]}" -eq 0 ] && grep -q " ./usr/share/spillway/" "$work/contents"; then
  fail "no dashboard or alert file in ops/, yet the package has /usr/share/spillway/"
fi
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles > "$work/conffiles"
grep -qx "/etc/spillway/spillway.toml" "$work/conffiles" || fail "/etc/spillway/spillway.toml is not a conffile"
# The manual page names every subcommand `spillway --help` lists, so it cannot silently fall behind.
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/man/man1/spillway.1.gz | gzip -dc > "$work/spillway.1"
"$build_dir/bin/spillway" --help | sed -n '/^Subcommands:/,$s/^  \([a-z]\+\) .*/\1/p' > "$work/subcommands"
[ -s "$work/subcommands" ] || fail "could not read the subcommands from spillway --help"
while read -r sub; do
  grep -qx "\.B $sub" "$work/spillway.1" || fail "the manual page does not describe the subcommand $sub"
done < "$work/subcommands"
echo "ok: binary, conffile, unit, manual page (all $(wc -l < "$work/subcommands") subcommands) and docs are in the package${ops_files[*]:+, and ${ops_files[*]}}"

# 3. Install, twice: the second run proves postinst is idempotent (existing user and directory).
dpkg -i "$deb" > "$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dpkg -i failed"; }
installed=yes
dpkg -i "$deb" > "$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log" >&2; fail "reinstalling (postinst run again) failed"; }
echo "ok: dpkg -i, twice"

# 4. The user and the state directory.
entry=$(getent passwd spillway) || fail "postinst did not create the spillway user"
[ "$(getent passwd | grep -c '^spillway:')" -eq 1 ] || fail "more than one spillway user"
uid=$(echo "$entry" | cut -d: -f3)
shell=$(echo "$entry" | cut -d: -f7)
[ "$uid" -lt 1000 ] || fail "spillway is not a system user (uid $uid)"
[ "$shell" = /usr/sbin/nologin ] || fail "spillway's shell is $shell, not /usr/sbin/nologin"
owner_mode=$(stat -c '%U:%G %a' /var/lib/spillway)
[ "$owner_mode" = "spillway:spillway 700" ] || fail "/var/lib/spillway is $owner_mode, not spillway:spillway 700"
echo "ok: system user spillway (uid $uid) owns /var/lib/spillway, mode 0700"
for f in "${ops_files[@]}"; do
  cmp -s "$source_dir/ops/$f" "/usr/share/spillway/$f" || fail "/usr/share/spillway/$f is not ops/$f"
done
[ "${#ops_files[@]}" -eq 0 ] || echo "ok: installed /usr/share/spillway/{$(IFS=,; echo "${ops_files[*]}")}"

# 5. The installed binary and config: the conffile is what `spillway config example` makes from the
#    package overlay (generated, so it cannot drift from the option table), and it passes config check —
#    as root and as the service user, who must be able to read it.
/usr/bin/spillway --version > "$work/version.out" || fail "/usr/bin/spillway --version failed"
[[ "$(head -1 "$work/version.out")" == "spillway "* ]] || fail "unexpected --version output: $(head -1 "$work/version.out")"
"$build_dir/bin/spillway" config example "$source_dir/ops/debian/spillway.toml" > "$work/expected.toml"
cmp -s "$work/expected.toml" /etc/spillway/spillway.toml \
  || { diff "$work/expected.toml" /etc/spillway/spillway.toml | head -20 >&2; fail "/etc/spillway/spillway.toml is not the generated example"; }
/usr/bin/spillway config check /etc/spillway/spillway.toml > "$work/check.out" 2>&1 \
  || { cat "$work/check.out" >&2; fail "the installed spillway config check rejects the packaged config"; }
grep -qxF "#   RocksDB: /var/lib/spillway/rocksdb" "$work/check.out" || { cat "$work/check.out" >&2; fail "config check summary does not name /var/lib/spillway/rocksdb"; }
grep -qxF "#   sinks:   RocksDB only" "$work/check.out" || fail "config check summary: expected RocksDB only"
runuser -u spillway -- /usr/bin/spillway config check /etc/spillway/spillway.toml > "$work/check-user.out" 2>&1 \
  || { cat "$work/check-user.out" >&2; fail "the spillway user cannot run config check on the packaged config"; }
# Every option is in the conffile, commented with its default (or set): compare with `config reference`.
missing=0
while read -r key; do
  leaf=${key##*.}
  grep -qE "^#?\"?${leaf}\"? = |^#?\[+${key}\]+$" /etc/spillway/spillway.toml || { echo "not in the conffile: $key" >&2; missing=1; }
done < <(/usr/bin/spillway config reference | sed -n 's/^| `\([a-z_.]*\)` |.*/\1/p')
[ "$missing" -eq 0 ] || fail "the packaged config does not list every option"
echo "ok: the installed spillway accepts /etc/spillway/spillway.toml (as root and as spillway), every option listed"

# 6. The installed unit, as installed (its ExecStart binary now exists).
systemd-analyze verify --man=no /lib/systemd/system/spillway.service > "$work/verify.log" 2>&1 || true
[ ! -s "$work/verify.log" ] || { cat "$work/verify.log" >&2; fail "systemd-analyze verify reports problems in the installed unit"; }
echo "ok: systemd-analyze verify on /lib/systemd/system/spillway.service"

# 7. Remove keeps the conffile; purge removes it and the empty state directory. The user stays (Debian
#    practice: files it owned may remain).
dpkg -r spillway > "$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r failed"; }
[ ! -e /usr/bin/spillway ] || fail "dpkg -r left /usr/bin/spillway"
[ -f /etc/spillway/spillway.toml ] || fail "dpkg -r removed the conffile (only purge should)"
dpkg --purge spillway > "$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
installed=no
[ ! -e /etc/spillway/spillway.toml ] || fail "dpkg --purge left /etc/spillway/spillway.toml"
[ ! -e /lib/systemd/system/spillway.service ] || fail "dpkg --purge left the unit"
[ ! -e /usr/share/spillway ] || fail "dpkg --purge left /usr/share/spillway"
[ ! -e /var/lib/spillway ] || fail "dpkg --purge left the empty /var/lib/spillway"
case "$(state)" in "" | not-installed) ;; *) fail "dpkg --purge left spillway in state $(state)" ;; esac
echo "ok: dpkg -r keeps the conffile; dpkg --purge removes it and the empty state directory"
getent passwd spillway >/dev/null || fail "purge removed the spillway user (Debian packages leave system users)"

# 8. lintian: no errors. Warnings and infos are printed for the record. One run (lintian is slow): its exit
#    status with --fail-on error, and any E: line, fail the test. Lintian warns that it runs as root; that is
#    not a tag.
lintian_rc=0
lintian --fail-on error --tag-display-limit 0 --display-info "$deb" > "$work/lintian.log" 2>&1 || lintian_rc=$?
cat "$work/lintian.log"
if grep -q "^E: " "$work/lintian.log"; then fail "lintian reports errors"; fi
[ "$lintian_rc" -eq 0 ] || fail "lintian --fail-on error exits $lintian_rc"
echo "ok: lintian reports no errors ($(grep -c '^W: ' "$work/lintian.log" || true) warnings, $(grep -c '^I: ' "$work/lintian.log" || true) infos)"
