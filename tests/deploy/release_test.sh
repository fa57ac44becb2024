#!/usr/bin/env bash
# scripts/release and deploy/verify-release, from the attacker's side: a release is made and
# verified, then altered the ways a seized mirror or a man in the middle would alter it, and each
# must be refused with exit 1 before anything is installed. Packages are small stand-ins built
# with dpkg-deb (the real ones are built and checked by the package phase); the scripts are this
# tree's, in a scratch git repository tagged as a release.
# Exit codes: 0 passed, 1 failed, 77 skipped (minisign or dpkg-deb missing; with CI=true a failure).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly repo
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $1" >&2; }
for tool in minisign dpkg-deb git sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [ "${CI:-}" != true ] || { echo "release_test: error: $tool is missing" >&2; exit 1; }
    echo "SKIP: release_test: $tool is missing"
    exit 77
  fi
done

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
version=$(sed -n 's/^project(tipline VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")

# A scratch project: this tree's release scripts and version, committed and tagged.
src=$work/src
mkdir -p "$src/scripts" "$src/deploy"
cp "$repo/scripts/release" "$src/scripts/"
cp "$repo/deploy/verify-release" "$src/deploy/"
grep '^project(tipline VERSION' "$repo/CMakeLists.txt" >"$src/CMakeLists.txt"
git -C "$src" init -q
git -C "$src" -c user.name=t -c user.email=t@example.invalid add -A
git -C "$src" -c user.name=t -c user.email=t@example.invalid commit -qm release

# Stand-in packages: the right names, versions and format.
make_deb() { # make_deb PACKAGE VERSION OUT_DIR
  local d=$work/pkg-$1-$2
  mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
  printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: t <t@example.invalid>\nDescription: stand-in\n stand-in for the release test\n' \
    "$1" "$2" >"$d/DEBIAN/control"
  echo "$1 $2" >"$d/usr/share/doc/$1/stand-in"
  dpkg-deb --root-owner-group -b "$d" "$3/${1}_${2}_amd64.deb" >/dev/null
}
debs=$work/debs
mkdir -p "$debs"
for p in tiplined tipline-submit tipline-responder; do make_deb "$p" "$version" "$debs"; done
minisign -G -W -p "$work/release.pub" -s "$work/release.key" >/dev/null
minisign -G -W -p "$work/other.pub" -s "$work/other.key" >/dev/null

# Refused before the tag exists, and with changes in the tree.
if (cd "$src" && scripts/release --key "$work/release.key" --packages "$debs" --out "$work/no-tag") 2>"$work/err"; then
  not_ok "an untagged commit is refused"
else
  grep -q "HEAD is not the tag v$version" "$work/err" && ok "an untagged commit is refused" || not_ok "untagged: $(cat "$work/err")"
fi
git -C "$src" tag "v$version"
echo "# edit" >>"$src/CMakeLists.txt"
if (cd "$src" && scripts/release --key "$work/release.key" --packages "$debs" --out "$work/dirty") 2>"$work/err"; then
  not_ok "a tree with changes is refused"
else
  grep -q "working tree has changes" "$work/err" && ok "a tree with changes is refused" || not_ok "dirty: $(cat "$work/err")"
fi
git -C "$src" checkout -q -- CMakeLists.txt

rel=$work/release
out=$(cd "$src" && scripts/release --key "$work/release.key" --public-key "$work/release.pub" --packages "$debs" --out "$rel" 2>"$work/err") ||
  { cat "$work/err" >&2; not_ok "scripts/release makes a release"; exit 1; }
[ "$out" = "$rel" ] && ok "scripts/release makes a release and prints its folder" || not_ok "release printed '$out'"
[ "$(ls "$rel" | sort | tr '\n' ' ')" = "SHA256SUMS SHA256SUMS.minisig tipline-responder_${version}_amd64.deb tipline-submit_${version}_amd64.deb tiplined_${version}_amd64.deb " ] &&
  ok "the folder holds the three packages, the checksums and the signature" || not_ok "folder: $(ls "$rel")"
(cd "$rel" && sha256sum --quiet -c SHA256SUMS) && ok "sha256sum -c agrees with SHA256SUMS" || not_ok "sha256sum -c"
minisign -V -q -p "$work/release.pub" -m "$rel/SHA256SUMS" && ok "minisign -V checks the signature, as the README says" ||
  not_ok "minisign -V"
if (cd "$src" && scripts/release --key "$work/release.key" --packages "$debs" --out "$rel") 2>/dev/null; then
  not_ok "an existing release folder is never replaced"
else
  ok "an existing release folder is never replaced"
fi

verify() { "$repo/deploy/verify-release" "$@"; }
if verify "$rel" --key "$work/release.pub" >"$work/out"; then
  grep -q "verified: Tipline $version" "$work/out" && ok "the release verifies" || not_ok "verify output: $(cat "$work/out")"
else
  not_ok "the release verifies"
fi

# expect_refused DESCRIPTION WORDS DIR [KEY]: verify-release exits 1 and its message holds WORDS.
expect_refused() {
  local what=$1 words=$2 dir=$3 key=${4:-$work/release.pub} rc=0
  verify "$dir" --key "$key" >/dev/null 2>"$work/err" || rc=$?
  if [ "$rc" -eq 1 ] && grep -qF -- "$words" "$work/err"; then
    ok "$what"
  else
    not_ok "$what: exit $rc, '$(cat "$work/err")'"
  fi
}
copy() { rm -rf "$work/$1"; cp -a "$rel" "$work/$1"; echo "$work/$1"; }
# flip_byte FILE OFFSET: replaces the byte at OFFSET by its complement, so the file always changes
# (writing a fixed byte leaves the file as it was when that byte was already there).
flip_byte() {
  local byte
  byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  [ -n "$byte" ] || { echo "release_test: $1 is shorter than $2 bytes" >&2; exit 1; }
  printf "\\$(printf '%03o' $((255 - byte)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

d=$(copy altered)
flip_byte "$d/tiplined_${version}_amd64.deb" 200
expect_refused "a package altered by one byte is refused" "does not match its checksum" "$d"

d=$(copy resummed)
flip_byte "$d/tiplined_${version}_amd64.deb" 200
(cd "$d" && sha256sum -- *.deb >SHA256SUMS)
expect_refused "an altered package with checksums made anew is refused by the signature" "does not check with the key" "$d"

d=$(copy other-key)
minisign -S -s "$work/other.key" -m "$d/SHA256SUMS" -x "$d/SHA256SUMS.minisig" -t "tipline $version" >/dev/null
expect_refused "checksums signed by another key are refused" "does not check with the key" "$d"

d=$(copy unsigned)
rm "$d/SHA256SUMS.minisig"
expect_refused "a release without its signature is refused" "not signed" "$d"

d=$(copy extra)
cp "$d/tiplined_${version}_amd64.deb" "$d/tiplined_${version}_amd64-extra.deb"
expect_refused "a file the checksums do not list is refused" "not in the signed SHA256SUMS" "$d"

d=$(copy missing)
rm "$d/tipline-submit_${version}_amd64.deb"
expect_refused "a listed package that is missing is refused" "missing from" "$d"

# An older signed release under the new version's name: the signed comment names the version.
old=$work/old-debs
mkdir -p "$old"
for p in tiplined tipline-submit tipline-responder; do make_deb "$p" 0.0.1 "$old"; done
d=$(copy rollback)
rm "$d"/*.deb
for p in tiplined tipline-submit tipline-responder; do cp "$old/${p}_0.0.1_amd64.deb" "$d/${p}_${version}_amd64.deb"; done
(cd "$d" && sha256sum -- *.deb >SHA256SUMS)
minisign -S -s "$work/release.key" -m "$d/SHA256SUMS" -x "$d/SHA256SUMS.minisig" -t "tipline $version" >/dev/null
expect_refused "packages of another version than the signed one are refused" "but the signature is for $version" "$d"

d=$(copy foreign)
make_deb tipline-helper "$version" "$d"
(cd "$d" && sha256sum -- *.deb >SHA256SUMS)
minisign -S -s "$work/release.key" -m "$d/SHA256SUMS" -x "$d/SHA256SUMS.minisig" -t "tipline $version" >/dev/null
expect_refused "a signed package that is not one of Tipline's is refused" "which is not Tipline's" "$d"

d=$(copy path)
printf '%s  ../../etc/passwd\n' "$(sha256sum /etc/hostname | cut -d' ' -f1)" >>"$d/SHA256SUMS"
minisign -S -s "$work/release.key" -m "$d/SHA256SUMS" -x "$d/SHA256SUMS.minisig" -t "tipline $version" >/dev/null
expect_refused "a checksum line naming a path outside the folder is refused" "not 'CHECKSUM  FILE'" "$d"

# The installer, given an altered release, stops at the check: before it asks anything of apt,
# dpkg or systemd. Those are stand-ins here that record being called, so that a check skipped by
# mistake shows as a failure rather than as an install on this machine.
if [ "$(id -u)" -eq 0 ]; then
  shims=$work/shims
  mkdir -p "$shims"
  for t in apt-get apt dpkg dpkg-query systemctl adduser tor-instance-create setpriv; do
    printf '#!/bin/sh
echo "%s $*" >>"%s"
exit 99
' "$t" "$work/called" >"$shims/$t"
    chmod +x "$shims/$t"
  done
  pub_key=$(printf 'tipline-pk1-%s' "$(head -c 96 /dev/zero | base64 -w0 | tr '+/' '-_' | tr -d '=')")
  for case in altered other-key unsigned extra rollback; do
    rc=0
    PATH=$shims:$PATH "$repo/deploy/install.sh" --release "$work/$case" --release-key "$work/release.pub" \
      --responder "$pub_key" --auth-secrets "$work/secrets-$case" >/dev/null 2>"$work/install-$case.err" || rc=$?
    if [ "$rc" -eq 1 ] && grep -q "did not verify (see above); nothing was installed or changed" "$work/install-$case.err" &&
      [ ! -e "$work/called" ] && [ ! -e "$work/secrets-$case" ]; then
      ok "install.sh --release refuses the $case release before anything else"
    else
      not_ok "install.sh --release, $case release: exit $rc, called: $(cat "$work/called" 2>/dev/null), $(tail -n 3 "$work/install-$case.err")"
    fi
  done
  rc=0
  PATH=$shims:$PATH "$repo/deploy/install.sh" --release "$rel" --packages "$rel" --responder "$pub_key" >/dev/null 2>"$work/both.err" || rc=$?
  [ "$rc" -eq 2 ] && grep -q "names the packages itself" "$work/both.err" && ok "--release with --packages is a usage error" ||
    not_ok "--release with --packages: exit $rc"
else
  echo "note: not root, so install.sh --release is not tried"
fi

rc=0
verify "$rel" --key "$work/nothing.pub" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && ok "a missing key file is a usage error" || not_ok "missing key: exit $rc"

echo "release_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
