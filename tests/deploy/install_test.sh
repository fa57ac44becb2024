#!/usr/bin/env bash
# Installs the Debian packages with deploy/install.sh in a fresh Debian 12 chroot and checks what the
# packages and their setup step made: tests/deploy/install_test.sh [PACKAGES_DIR]
# PACKAGES_DIR holds tiplined_*.deb, tipline-submit_*.deb and tipline-responder_*.deb (scripts/test's
# package phase builds them in build-packages/a). The first install is of the same packages with a
# lower version; the root is then booted with systemd-nspawn (no network but loopback), where a tip is
# sent, the real packages are installed over the old ones, and the tip is read back; then the
# package is removed and purged, keeping the tips, and purged again with TIPLINE_PURGE_DATA=yes.
# Needs root and Debian's mirror. Exit codes: 0 passed, 1 failed, 77 skipped (with CI=true a skip is a failure).
# TIPLINE_KEEP_ROOT=1 keeps the chroot folder; TIPLINE_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
packages=$(realpath -m "${1:-$repo/build-packages/a}")
mirror=${TIPLINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly repo packages mirror
readonly chroot_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
readonly stage=/opt/tipline            # inside the chroot: src/deploy, packages/, previous/, keys/
readonly installer=$stage/src/deploy/install.sh
readonly tor_wait_s=30
readonly exposure_limit=49             # systemd-analyze --threshold, in tenths: 4.9 is the worst "OK"
readonly boot_wait_s=90
readonly listener_wait_s=5
readonly secrets=/root/tipline-auth-secrets   # inside the chroot: --auth-secrets of the first install
readonly relay_port=18080              # in the container's network: a Tor-like PROXY line, then tiplined

passed=0
failed=0
started=$SECONDS
work=""
root=""
tor_pid=""
nspawn_pid=""
leader=""
org_fp=""
relay_pid=""
version=""
previous_version=""

say() { echo "install_test: $*"; }
ok() { passed=$((passed + 1)); echo "ok: $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $1" >&2; }
expect() { # expect DESCRIPTION COMMAND...: passes when COMMAND succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
expect_equal() { # expect_equal DESCRIPTION ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', expected '$3'"; fi
}
fatal() {
  echo "install_test: error: $1" >&2
  shift
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    echo "--- $f" >&2
    tail -n 40 "$f" >&2
  done
  exit 1
}
skip() {
  if [ "${CI:-}" = true ]; then
    fatal "cannot run: $1" "${@:2}"
  fi
  echo "SKIP: install_test: $1"
  exit 77
}

in_root() { env -i PATH="$chroot_path" HOME=/root LANG=C.UTF-8 chroot "$root" "$@"; }

mounts_under_root() { findmnt -rn -o TARGET | awk -v r="$root" '$0 == r || index($0, r "/") == 1' | sort -r; }

cleanup() {
  local rc=$? m
  set +e
  if [ -n "$tor_pid" ] && kill -0 "$tor_pid" 2>/dev/null; then
    kill "$tor_pid"
    wait "$tor_pid" 2>/dev/null
  fi
  if [ -n "$relay_pid" ]; then
    kill "$relay_pid" 2>/dev/null
    wait "$relay_pid" 2>/dev/null
  fi
  [ -z "$nspawn_pid" ] || stop_container
  if [ -n "$root" ]; then
    for m in $(mounts_under_root); do umount "$m" 2>/dev/null || umount -l "$m"; done
    if [ -n "$(mounts_under_root)" ]; then
      echo "install_test: error: still mounted, so $work was not removed: $(mounts_under_root | paste -sd ' ')" >&2
      exit 1
    fi
  fi
  if [ -n "$work" ]; then
    if [ "${TIPLINE_KEEP_ROOT:-}" = 1 ]; then
      say "kept the chroot in $root"
    else
      rm -rf --one-file-system "$work"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ids_of() { # ids_of USER: "uid:gid" inside the chroot
  echo "$(in_root id -u "$1"):$(in_root id -g "$1")"
}

expect_stat() { # expect_stat PATH MODE USER: PATH inside the chroot has this octal mode and owner
  local actual
  actual=$(stat -c '%a %u:%g' "$root$1" 2>&1) || actual="missing"
  expect_equal "$1 is mode $2 owned by $3" "$actual" "$2 $(ids_of "$3")"
}

run_install() { # run_install NAME [USERSPEC] -- ARGS...: install.sh in the chroot; output in $work/NAME.out and .err
  local name=$1 userspec=()
  shift
  if [ "$1" != -- ]; then
    userspec=(--userspec="$1")
    shift
  fi
  shift
  local rc=0
  env -i PATH="$chroot_path" HOME=/root LANG=C.UTF-8 chroot "${userspec[@]}" "$root" "$installer" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  echo "$rc"
}

# Owners, modes, inodes, times and contents of everything the installer may touch, keys included: a file
# rewritten with the same bytes counts as a change.
snapshot() {
  local paths=(usr/bin usr/sbin usr/lib/tipline usr/share/tipline usr/share/doc/tiplined usr/local lib/systemd/system
    var/lib/tipline var/lib/tor-instances etc/tor etc/tipline etc/systemd/system etc/passwd etc/group etc/shadow
    var/lib/dpkg/status root)
  (
    cd "$root"
    local existing=() p
    for p in "${paths[@]}"; do [ ! -e "$p" ] || existing+=("$p"); done
    find "${existing[@]}" -printf '%p %y %#m %U:%G %i %T@ %l\n' | LC_ALL=C sort
    find "${existing[@]}" -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort -k 2
  )
}

expect_unchanged() { # expect_unchanged DESCRIPTION BEFORE_FILE
  snapshot >"$work/after"
  if cmp -s "$2" "$work/after"; then
    ok "$1"
  else
    not_ok "$1; what changed:"
    diff "$2" "$work/after" | head -n 20 >&2 || true
  fi
}

# A tor client authorization private key, base32 without padding, to its public key in the same form.
public_of_private() {
  local der_prefix='\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x6e\x04\x22\x04\x20'
  # shellcheck disable=SC2059 # the prefix is printf escapes
  { printf "$der_prefix"; printf '%s====' "$1" | base32 -d; } |
    openssl pkey -inform DER -pubout -outform DER | tail -c 32 | base32 -w0 | tr -d '='
}

check_prerequisites() {
  [ "$(id -u)" -eq 0 ] || skip "needs root for debootstrap, chroot and mounts"
  local name
  for name in tiplined tipline-submit tipline-responder; do
    compgen -G "$packages/${name}_*.deb" >/dev/null ||
      fatal "no ${name}_*.deb in $packages; build the packages first: dpkg-buildpackage -us -uc -b (scripts/test --all does)"
  done
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
  command -v node >/dev/null || missing+=(nodejs)
  command -v minisign >/dev/null || missing+=(minisign)
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } ||
      skip "could not install ${missing[*]} from Debian's mirror"
  fi
}

make_root() {
  work=$(mktemp -d /tmp/tipline-install-test.XXXXXX)
  root=$work/root
  say "debootstrap bookworm into $root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    skip "debootstrap could not make a Debian 12 root from $mirror" "$work/debootstrap.log"
  # Like any chroot: packages installed in it start no service (tor would reach out to the Tor network).
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  # The upgrade comes from a signed release folder, which the installer checks with minisign.
  in_root apt-get install -y -q --no-install-recommends minisign >"$work/minisign.log" 2>&1 ||
    skip "could not install minisign in the Debian root" "$work/minisign.log"
}

# The packages as given, and the same packages one version older (the version lowered in each control
# file, and in tiplined's dependency on tipline-responder), to upgrade from.
stage_packages() {
  mkdir -p "$root$stage/packages" "$root$stage/previous" "$work/repack"
  cp "$packages"/tiplined_*.deb "$packages"/tipline-submit_*.deb "$packages"/tipline-responder_*.deb "$root$stage/packages/"
  version=$(dpkg-deb -f "$(compgen -G "$root$stage/packages/tiplined_*.deb")" Version)
  previous_version=$version~previous
  local deb name dir
  for deb in "$root$stage/packages"/*.deb; do
    name=$(dpkg-deb -f "$deb" Package)
    dir=$work/repack/$name
    dpkg-deb -R "$deb" "$dir"
    sed -i -e "s/^Version: .*/Version: $previous_version/" -e "s/(= $version)/(= $previous_version)/g" "$dir/DEBIAN/control"
    dpkg-deb --root-owner-group -b "$dir" "$root$stage/previous/${name}_${previous_version}_$(dpkg-deb -f "$deb" Architecture).deb" \
      >/dev/null || fatal "dpkg-deb could not repack $deb"
  done
  expect "the previous packages are older" dpkg --compare-versions "$previous_version" lt "$version"
  # The newer packages also as a signed release (deploy/verify-release's form), for the upgrade.
  mkdir -p "$root$stage/release" "$root$stage/keys"
  cp "$root$stage/packages"/*.deb "$root$stage/release/"
  (cd "$root$stage/release" && sha256sum -- *.deb >SHA256SUMS)
  minisign -G -W -p "$root$stage/keys/release.pub" -s "$work/release.key" >/dev/null ||
    fatal "minisign could not make a release key"
  minisign -S -s "$work/release.key" -m "$root$stage/release/SHA256SUMS" -t "tipline $version" >/dev/null ||
    fatal "minisign could not sign the release"
  # The same packages signed by a key that is not the release key, as an impostor would offer them.
  cp -R "$root$stage/release" "$root$stage/release-other"
  minisign -G -W -p "$root$stage/keys/other.pub" -s "$work/other.key" >/dev/null ||
    fatal "minisign could not make a second key"
  minisign -S -s "$work/other.key" -m "$root$stage/release-other/SHA256SUMS" -t "tipline $version" >/dev/null ||
    fatal "minisign could not sign the other release"
}

stage_files() {
  mkdir -p "$root$stage/src/deploy" "$root$stage/keys"
  cp -a "$repo/deploy/." "$root$stage/src/deploy/"
  stage_packages
  # The tools on this side, from the packages: keys, fingerprints, the tip sent and read back.
  local deb
  for deb in "$root$stage/packages"/tipline-responder_*.deb "$root$stage/packages"/tipline-submit_*.deb; do
    dpkg-deb -x "$deb" "$work/host"
  done
  responder=$work/host/usr/bin/tipline-responder
  submit=$work/host/usr/bin/tipline-submit

  echo "install test passphrase" >"$work/passphrase"
  local name
  for name in alice bob; do
    "$responder" keygen --out "$work/$name.key" --kdf interactive \
      --passphrase-file "$work/passphrase" >/dev/null 2>&1 || fatal "tipline-responder keygen failed"
    cp "$work/$name.key.pub" "$root$stage/keys/$name.pub"
  done
  alice_key=$(cat "$work/alice.key.pub")
  bob_key=$(cat "$work/bob.key.pub")
  alice_fp=$("$responder" fingerprint "$alice_key")
  bob_fp=$("$responder" fingerprint "$work/bob.key.pub")
  printf '# alice again, as key text\n\n  %s  # alice\n' "$alice_key" >"$root$stage/keys/same.txt"
  # The organisation's signed lists: Alice alone, then Alice and Bob, and one altered after signing.
  "$responder" org keygen --out "$work/org.key" --kdf interactive --passphrase-file "$work/passphrase" >/dev/null 2>&1 ||
    fatal "tipline-responder org keygen failed"
  "$responder" org sign --key "$work/org.key" --passphrase-file "$work/passphrase" --responder "$work/alice.key.pub" \
    --serial 1 --out "$root$stage/keys/alice.list" >/dev/null 2>&1 || fatal "tipline-responder org sign failed"
  "$responder" org sign --key "$work/org.key" --passphrase-file "$work/passphrase" --responder "$work/alice.key.pub" \
    --responder "$work/bob.key.pub" --previous "$root$stage/keys/alice.list" --out "$root$stage/keys/two.list" \
    >/dev/null 2>&1 || fatal "tipline-responder org sign --previous failed"
  org_fp=$("$responder" org fingerprint "$work/org.key.pub")
  cp "$root$stage/keys/two.list" "$root$stage/keys/altered.list"
  printf '\x01' | dd of="$root$stage/keys/altered.list" bs=1 seek=60 conv=notrunc status=none
  printf 'alice.pub\nbob.pub  # a second responder, by a path relative to this file\n' >"$root$stage/keys/two.txt"
}

# What an install made by deploy/install.sh before the packages left: programs in /usr/local/bin and
# units in /etc/systemd/system that run them, enabled. The packages' setup must retire them.
plant_local_install() {
  mkdir -p "$root/usr/local/bin" "$root/usr/local/share/doc/tipline" "$root/etc/systemd/system/multi-user.target.wants"
  local p
  for p in tiplined tipline-submit tipline-responder; do printf '#!/bin/sh\nexit 1\n' >"$root/usr/local/bin/$p"; done
  echo "# OPERATIONS.md" >"$root/usr/local/share/doc/tipline/OPERATIONS.md"
  printf '[Unit]\nDescription=Tipline server\n[Service]\nExecStart=/usr/local/bin/tiplined serve /var/lib/tipline\n[Install]\nWantedBy=multi-user.target\n' \
    >"$root/etc/systemd/system/tiplined.service"
  ln -s /etc/systemd/system/tiplined.service "$root/etc/systemd/system/multi-user.target.wants/tiplined.service"
}

# Before any change: a first install whose output is not a terminal and names no file for the secrets,
# and other refused runs.
check_refusals() {
  local rc taken=$stage/taken-secrets
  : >"$root$taken"
  snapshot >"$work/before"
  rc=$(run_install piped -- --packages "$stage/previous" --responder "$stage/keys/alice.pub")
  expect_equal "a first install whose output is not a terminal, without --auth-secrets, is a usage error" "$rc" 2
  expect "it says why" grep -q "error: this first install makes the responders' client authorizations, which are secret, and standard output is not a terminal" "$work/piped.err"
  expect "its hint names --auth-secrets" grep -q "^hint: .*--auth-secrets FILE" "$work/piped.err"
  rc=$(run_install exists -- --packages "$stage/previous" --responder "$stage/keys/alice.pub" --auth-secrets "$taken")
  expect_equal "--auth-secrets naming an existing file is a usage error" "$rc" 2
  expect "it says the file exists" grep -q "error: '$taken' already exists" "$work/exists.err"
  expect_equal "the existing file is left as it was" "$(stat -c %s "$root$taken")" 0
  rc=$(run_install binaries -- --binaries /usr/local/bin --responder "$stage/keys/alice.pub")
  expect_equal "--binaries, of the install before the packages, is a usage error" "$rc" 2
  expect "its hint names --packages" grep -q "^hint: give the packages: --packages DIR" "$work/binaries.err"
  rc=$(run_install nopackages -- --responder "$stage/keys/alice.pub" --auth-secrets "$secrets")
  expect_equal "a setup without the packages installed, and none given, exits 1" "$rc" 1
  expect "it names --packages" grep -q "hint: give the packages: --packages DIR" "$work/nopackages.err"
  expect_unchanged "refused runs before the first install change nothing, and install no package" "$work/before"
  expect "no Tipline package is installed" test -z "$(in_root dpkg-query -W -f='${Status}\n' tiplined 2>/dev/null | grep 'install ok installed')"
}

check_first_install() {
  local p f
  for p in tiplined tipline-submit tipline-responder; do
    expect_equal "the $p package $previous_version is installed" \
      "$(in_root dpkg-query -W -f='${Status} ${Version}' "$p" 2>&1)" "install ok installed $previous_version"
    expect_stat "/usr/bin/$p" 755 root
  done
  expect "tipline-submit and tipline-responder have their Korean catalogs" \
    test -s "$root/usr/share/locale/ko/LC_MESSAGES/tipline-submit.mo" -a -s "$root/usr/share/locale/ko/LC_MESSAGES/tipline-responder.mo"
  expect_stat /usr/sbin/tipline-setup 755 root
  expect "/usr/sbin/tipline-setup is deploy/install.sh" cmp -s "$root/usr/sbin/tipline-setup" "$repo/deploy/install.sh"
  expect "/usr/lib/tipline/onion-auth-keygen is deploy/onion-auth-keygen" \
    cmp -s "$root/usr/lib/tipline/onion-auth-keygen" "$repo/deploy/onion-auth-keygen"
  expect "/usr/lib/tipline/verify-release is deploy/verify-release" \
    cmp -s "$root/usr/lib/tipline/verify-release" "$repo/deploy/verify-release"
  for f in README.md SECURITY.md docs/OPERATIONS.md; do
    expect_stat "/usr/share/doc/tiplined/$(basename "$f")" 644 root
    expect "/usr/share/doc/tiplined/$(basename "$f") is $f, uncompressed" \
      cmp -s "$root/usr/share/doc/tiplined/$(basename "$f")" "$repo/$f"
  done
  for p in tiplined tipline-submit tipline-responder; do
    expect "the install before the packages is gone: /usr/local/bin/$p" test ! -e "$root/usr/local/bin/$p"
  done
  expect "... its documents" test ! -e "$root/usr/local/share/doc/tipline"
  expect "... and its unit in /etc/systemd/system" test ! -e "$root/etc/systemd/system/tiplined.service"
  expect_equal "tiplined.service is enabled as the package's unit" \
    "$(readlink "$root/etc/systemd/system/multi-user.target.wants/tiplined.service")" /lib/systemd/system/tiplined.service

  local passwd shell
  passwd=$(in_root getent passwd tipline) || passwd="::::::"
  IFS=: read -r _ _ uid _ _ home shell <<<"$passwd"
  expect "the tipline user is a system user (uid $uid)" test -n "$uid" -a "${uid:-1000}" -lt 1000
  expect_equal "the tipline user has no home" "$home" /nonexistent
  expect "the tipline user has no login shell ($shell)" test "$shell" = /usr/sbin/nologin -o "$shell" = /bin/false
  expect "/nonexistent was not created" test ! -e "$root/nonexistent"

  expect_stat /var/lib/tipline 700 tipline
  expect_stat /var/lib/tipline/tiplined.conf 600 tipline
  expect "tiplined.conf lists the responder's key" grep -q "responder = \[\"$alice_key\"\]" "$root/var/lib/tipline/tiplined.conf"
  expect "tiplined.conf expects Tor's circuit IDs, as deploy/torrc sends them" grep -qx "circuit_ids = true" "$root/var/lib/tipline/tiplined.conf"
  expect_stat /var/lib/tipline/tips.sqlite 600 tipline

  expect "/etc/tor/instances/tipline/torrc is deploy/torrc" cmp -s "$root/etc/tor/instances/tipline/torrc" "$repo/deploy/torrc"
  expect "/usr/share/tipline/torrc is deploy/torrc" cmp -s "$root/usr/share/tipline/torrc" "$repo/deploy/torrc"
  expect_stat /etc/tor/instances/tipline/torrc 644 root
  expect_stat /var/lib/tor-instances/tipline 2700 _tor-tipline
  expect_stat /var/lib/tor-instances/tipline/responder 700 _tor-tipline
  expect_stat /var/lib/tor-instances/tipline/responder/authorized_clients 700 _tor-tipline

  local auth_files
  auth_files=$(cd "$root/var/lib/tor-instances/tipline/responder/authorized_clients" && ls -A)
  read -ra groups <<<"$alice_fp"
  expect_equal "one client authorization, named by the responder's fingerprint" "$auth_files" \
    "responder-${groups[0]}-${groups[1]}.auth"
  auth_file=/var/lib/tor-instances/tipline/responder/authorized_clients/$auth_files
  expect_stat "$auth_file" 600 _tor-tipline
  auth_line=$(cat "$root$auth_file" 2>/dev/null || true)
  expect "the .auth file is one line 'descriptor:x25519:' and a 52-character base32 key" \
    grep -qxE 'descriptor:x25519:[A-Z2-7]{52}' <<<"$auth_line"
  expect_equal "the .auth file has one line" "$(wc -l <"$root$auth_file")" 1

  local unit
  for unit in tiplined.service tipline-purge.service tipline-purge.timer; do
    expect "/lib/systemd/system/$unit is deploy/$unit" cmp -s "$root/lib/systemd/system/$unit" "$repo/deploy/$unit"
    expect_stat "/lib/systemd/system/$unit" 644 root
  done
  expect "tiplined.service is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/tiplined.service"
  expect "tipline-purge.timer is enabled" test -L "$root/etc/systemd/system/timers.target.wants/tipline-purge.timer"
  expect "tor@tipline.service is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/tor@tipline.service"
  for unit in tiplined.service tipline-purge.timer tor@tipline.service; do
    expect_equal "systemctl is-enabled $unit" "$(in_root systemctl is-enabled "$unit" 2>&1 || true)" enabled
  done
  expect_equal "tor@default.service, Debian's tor with a SOCKS port, is masked" \
    "$(in_root systemctl is-enabled tor@default.service 2>&1 || true)" masked

  expect_stat /etc/tipline/install.conf 600 root
  expect "install.conf records the responder" grep -qx "responder $alice_key" "$root/etc/tipline/install.conf"

  # The private half: in the file --auth-secrets named, in tor's .auth_private form, matching the
  # public half, and nowhere else: not in the output, not elsewhere on the server.
  local lines private
  expect_stat "$secrets" 600 root
  lines=$(grep -E '^ +[^ ]+:descriptor:x25519:[A-Z2-7]{52}$' "$root$secrets" || true)
  expect_equal "the secrets file has one client authorization line" "$(grep -c . <<<"$lines")" 1
  expect "the line waits for the onion address, unknown before tor has run" \
    grep -qE '^ +RESPONDER-ONION-ADDRESS:descriptor:x25519:' <<<"$lines"
  expect "the secrets file names the responder's fingerprint" grep -qF "responder $alice_fp:" "$root$secrets"
  private=${lines##*:}
  expect_equal "the private key belongs to the public key in the .auth file" \
    "descriptor:x25519:$(public_of_private "$private")" "$auth_line"
  expect "the output shows no client authorization" \
    test -z "$(grep -F ':descriptor:x25519:' "$work/first.out" "$work/first.err" || true)"
  expect "the output says where the client authorizations went" grep -qF "written to $secrets (mode 0600)" "$work/first.out"
  expect_equal "the private key is stored nowhere else in the chroot" \
    "$(grep -rlF "$private" "$root"/{etc,var,opt,root,tmp,run,usr} 2>/dev/null || true)" "$root$secrets"
  expect "the output names the responder's fingerprint" grep -qF "$alice_fp" "$work/first.out"
  expect "the output says where the data lives" grep -qF /var/lib/tipline "$work/first.out"
  expect "the output says how to print the addresses later" grep -qF -- "--show" "$work/first.out"
}

# Starts tor as Debian's tor@tipline.service would (its ExecStartPre and ExecStart), with no network.
check_tor() {
  local unit=$root/lib/systemd/system/tor@.service line
  [ -f "$unit" ] || fatal "Debian's tor@.service is missing from the chroot"
  local pre=() start=()
  mapfile -t pre < <(sed -n 's/^ExecStartPre=//p' "$unit" | sed 's/%i/tipline/g')
  read -ra start <<<"$(sed -n 's/^ExecStart=//p' "$unit" | sed 's/%i/tipline/g')"
  expect "tor@.service checks its configuration before it starts" grep -q -- --verify-config <<<"${pre[*]}"
  for line in "${pre[@]}"; do
    expect "tor@tipline's ExecStartPre succeeds: $line" in_root sh -c "$line >/dev/null 2>>/tmp/prestart.log"
  done

  local dump listeners
  dump=$(in_root "${start[@]}" --dump-config full 2>/dev/null || true)
  listeners=$(grep -E '^(SocksPort|ControlPort|ControlSocket|ORPort|DirPort|DNSPort|TransPort|NATDPort|HTTPTunnelPort|MetricsPort|ExtORPort) ' <<<"$dump" || true)
  expect "tor@tipline opens no SOCKS, control or other listener (${listeners//$'\n'/, })" \
    test -z "$(grep -v ' 0$' <<<"$listeners")" -a -n "$(grep -x 'SocksPort 0' <<<"$listeners")"
  expect "tor@tipline has no control socket" grep -qx 'ControlSocket 0' <<<"$listeners"

  env -i PATH="$chroot_path" LANG=C.UTF-8 chroot "$root" "${start[@]}" --DisableNetwork 1 --Log 'notice stderr' \
    >"$work/tor.log" 2>&1 &
  tor_pid=$!
  local hs=$root/var/lib/tor-instances/tipline i
  for ((i = 0; i < tor_wait_s * 4; i++)); do
    [ -s "$hs/source/hostname" ] && [ -s "$hs/responder/hostname" ] && break
    kill -0 "$tor_pid" 2>/dev/null || break
    sleep 0.25
  done
  expect "tor wrote both onion addresses" test -s "$hs/source/hostname" -a -s "$hs/responder/hostname"
  expect_equal "tor runs as _tor-tipline" "$(stat -c %u "/proc/$tor_pid" 2>/dev/null || echo gone)" \
    "$(in_root id -u _tor-tipline)"
  expect "tor opened no SOCKS socket" test ! -e "$root/run/tor-instances/tipline/socks"
  expect "tor opened no control socket" test ! -e "$root/run/tor-instances/tipline/control"
  kill "$tor_pid" 2>/dev/null || true
  wait "$tor_pid" 2>/dev/null || true
  tor_pid=""
nspawn_pid=""
leader=""
  source_address=$(cat "$hs/source/hostname" 2>/dev/null || true)
  responder_address=$(cat "$hs/responder/hostname" 2>/dev/null || true)
  expect "the source address is a v3 onion address ($source_address)" grep -qxE '[a-z2-7]{55}d\.onion' <<<"$source_address"
  expect "the responder address is a v3 onion address ($responder_address)" \
    grep -qxE '[a-z2-7]{55}d\.onion' <<<"$responder_address"
  expect "the two services have different addresses" test "$source_address" != "$responder_address"
  expect_stat /var/lib/tor-instances/tipline/responder/hs_ed25519_secret_key 600 _tor-tipline
  # tor warns about an .auth file it cannot parse, and would then publish the service without authorization.
  if grep -E '\[(warn|err)\]' "$work/tor.log" >"$work/tor.warnings"; then
    not_ok "tor logged warnings: $(paste -sd ' ' "$work/tor.warnings")"
  else
    ok "tor logged no warning, so it accepted the .auth file"
  fi
}

check_show() {
  local rc
  rc=$(run_install show -- --show)
  expect_equal "install.sh --show exits 0" "$rc" 0
  expect "--show prints the source address" grep -qF "$source_address" "$work/show.out"
  expect "--show prints the responder address" grep -qF "$responder_address" "$work/show.out"
  expect "--show prints the responder's fingerprint" grep -qF "$alice_fp" "$work/show.out"
  expect "--show does not print a private key" test -z "$(grep -F ':descriptor:x25519:' "$work/show.out")"
  expect "--show lists the client authorization" grep -qxF "  $(basename "$auth_file")" "$work/show.out"
}

check_reruns() {
  local rc
  snapshot >"$work/before"
  rc=$(run_install same -- --packages "$stage/previous" --responders-file "$stage/keys/same.txt")
  expect_equal "a rerun with the same packages and responder (from a file) exits 0" "$rc" 0
  expect_unchanged "a rerun with the same packages and responder changes no file" "$work/before"
  expect "it says the packages are installed already" grep -q "$previous_version are already installed" "$work/same.err"
  expect "it says the setup changed nothing" grep -q "nothing changed" "$work/same.err"
  expect "a rerun prints no new private key" test -z "$(grep -F ':descriptor:x25519:' "$work/same.out")"
  rc=$(run_install setup -- --responders-file "$stage/keys/same.txt")
  expect_equal "a rerun without packages (the installed tipline-setup), output not a terminal, exits 0" "$rc" 0
  expect "it runs the installed tipline-setup" grep -q "^tipline-setup: the setup was already done" "$work/setup.err"
  expect_unchanged "it changes no file" "$work/before"

  snapshot >"$work/before"
  rc=$(run_install two -- --packages "$stage/previous" --responders-file "$stage/keys/two.txt")
  expect_equal "a rerun with another responder set exits 1" "$rc" 1
  expect "it says the responders differ" grep -q "differ from those this server was installed with" "$work/two.err"
  expect "it names the new responder's fingerprint" grep -qF "given but not enrolled: fingerprint $bob_fp" "$work/two.err"
  expect "it points to the enrolment procedure" grep -qF '"The list of responders"' "$work/two.err"
  expect_unchanged "a rerun with another responder set changes no file" "$work/before"

  # The organisation's list names the responders too: checked by the programs, then as any rerun.
  snapshot >"$work/before"
  rc=$(run_install list-same -- --packages "$stage/previous" --recipient-list "$stage/keys/alice.list")
  expect_equal "a rerun with the organisation's list of the same responder exits 0" "$rc" 0
  expect_unchanged "it changes no file" "$work/before"
  rc=$(run_install list-two -- --recipient-list "$stage/keys/two.list")
  expect_equal "a rerun with a list of other responders exits 1" "$rc" 1
  expect "it names the list's new responder" grep -qF "given but not enrolled: fingerprint $bob_fp" "$work/list-two.err"
  rc=$(run_install list-altered -- --recipient-list "$stage/keys/altered.list")
  expect_equal "a list altered after signing is refused" "$rc" 1
  expect "it says the list cannot be used" grep -q "cannot be used" "$work/list-altered.err"
  rc=$(run_install list-both -- --recipient-list "$stage/keys/alice.list" --responder "$stage/keys/bob.pub")
  expect_equal "a list and --responder together are a usage error" "$rc" 2
  expect_unchanged "refused list runs change no file" "$work/before"

  snapshot >"$work/before"
  rc=$(run_install none -- --packages "$stage/previous")
  expect_equal "a run without responders is a usage error" "$rc" 2
  expect "it says no responder was given" grep -q "error: no responder given" "$work/none.err"
  rc=$(run_install nobody nobody:nogroup -- --show)
  expect_equal "a run as another user than root exits 1" "$rc" 1
  expect "it says it must run as root" grep -q "error: must run as root" "$work/nobody.err"
  expect_unchanged "refused runs change no file" "$work/before"

  # A responder enrolled by hand as docs/OPERATIONS.md says, then a rerun from the install record.
  sed -i "s|^responder = \\[\"$alice_key\"\\]|responder = [\"$alice_key\", \"$bob_key\"]|" "$root/var/lib/tipline/tiplined.conf"
  echo "responder $bob_key" >>"$root/etc/tipline/install.conf"
  expect "the hand-edited tiplined.conf lists both responders" grep -qF "\"$alice_key\", \"$bob_key\"" \
    "$root/var/lib/tipline/tiplined.conf"
  snapshot >"$work/before"
  rc=$(run_install record -- --packages "$stage/previous" --responders-file /etc/tipline/install.conf)
  expect_equal "a rerun from the install record, after enrolling a responder by hand, exits 0" "$rc" 0
  expect_unchanged "it changes no file (no second client authorization for the new responder)" "$work/before"
  expect "it lists the new responder's fingerprint" grep -qF "$bob_fp" "$work/record.out"
}

check_sandbox() {
  local unit out level
  for unit in tiplined.service tipline-purge.service; do
    out=$(in_root systemd-analyze security --offline=yes --threshold="$exposure_limit" "/lib/systemd/system/$unit" 2>&1) &&
      rc=0 || rc=$?
    level=$(grep -o "Overall exposure level for $unit: .*" <<<"$out" | sed 's/^.*: //')
    say "systemd-analyze security $unit: ${level:-no figure}"
    expect "systemd-analyze rates $unit OK or better (${level:-no figure})" test "$rc" -eq 0 -a -n "$level"
  done
}

# The root boots with systemd as PID 1 in a container with no network but loopback, as the server would.
in_container() { nsenter --target "$leader" --all env -i PATH="$chroot_path" LANG=C.UTF-8 "$@"; }

stop_container() {
  local i
  kill -0 "$nspawn_pid" 2>/dev/null || { nspawn_pid=""; return 0; }
  kill -TERM "$nspawn_pid"            # systemd-nspawn shuts the container down cleanly
  for ((i = 0; i < 60; i++)); do
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -KILL "$nspawn_pid"
    # Killing the container's init ends every process in its PID namespace.
    [ -z "$leader" ] || kill -KILL "$leader" 2>/dev/null || true
  fi
  wait "$nspawn_pid" 2>/dev/null || true
  nspawn_pid=""
}

main_pid() { in_container systemctl show -p MainPID --value "$1"; }

check_boot() {
  umount "$root/proc"
  # A booted server has no policy-rc.d: packages may restart their services, as an upgrade does.
  rm -f "$root/usr/sbin/policy-rc.d"
  # --system-call-filter=bpf lets systemd attach the IPAddressDeny/IPAddressAllow firewall; without
  # it nspawn's own seccomp filter makes systemd skip the firewall without a word.
  systemd-nspawn --boot --directory="$root" --private-network --register=no --keep-unit --system-call-filter=bpf \
    --machine=tipline-install-test --console=pipe </dev/null >"$work/boot.log" 2>&1 &
  nspawn_pid=$!
  local i state
  for ((i = 0; i < boot_wait_s * 2; i++)); do
    leader=$(pgrep -P "$nspawn_pid" | head -n 1 || true)
    [ -z "$leader" ] || [ "$(cat "/proc/$leader/comm" 2>/dev/null)" != systemd ] || break
    kill -0 "$nspawn_pid" 2>/dev/null || fatal "systemd-nspawn could not boot the root" "$work/boot.log"
    sleep 0.5
  done
  [ -n "$leader" ] || fatal "systemd did not start in the container" "$work/boot.log"
  # systemctl fails at once ("Failed to connect to bus") until systemd has opened its private
  # socket, which on a loaded machine comes a while after its process starts.
  for ((i = 0; i < boot_wait_s * 2; i++)); do
    in_container test -S /run/systemd/private 2>/dev/null && break
    sleep 0.5
  done
  state=$(timeout "$boot_wait_s" nsenter --target "$leader" --all env -i PATH="$chroot_path" \
    systemctl is-system-running --wait 2>/dev/null || true)
  say "the booted root is $state$([ "$state" = running ] || echo ": $(in_container systemctl --failed --plain --no-legend | awk '{ print $1 }' | paste -sd ' ')")"
  expect "systemd boots the root (${state:-no answer})" test "$state" = running -o "$state" = degraded

  local unit
  for unit in tor@tipline.service tiplined.service tipline-purge.timer; do
    expect_equal "$unit started at boot" "$(in_container systemctl is-active "$unit" || true)" active
  done
  # The daily purge, run once now under its own sandbox (no network at all).
  local purge_rc=0
  in_container systemctl start tipline-purge.service || purge_rc=$?
  expect_equal "tipline-purge.service runs to completion in its sandbox" \
    "$purge_rc $(in_container systemctl show -p Result --value tipline-purge.service)" "0 success"
  expect_equal "tor@default.service did not start" "$(in_container systemctl is-active tor@default.service || true)" inactive
  local listening
  listening=$(in_container cat /proc/net/tcp /proc/net/tcp6 | awk '$4 == "0A" { print $2 }' | LC_ALL=C sort | paste -sd ' ')
  expect_equal "only tiplined listens, on 127.0.0.1:8080 and :8081 (no SOCKS port)" "$listening" "0100007F:1F90 0100007F:1F91"
  # The sandboxed tiplined serves over loopback, inside its IP firewall.
  local answer
  # As tor sends it for HiddenServiceExportCircuitID haproxy: the circuit's PROXY line first.
  answer=$(in_container bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "PROXY TCP6 fc00:dead:beef:4dad::0:1 ::1 65535 80\r\nGET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 && head -n 1 <&3' 2>&1 | tr -d '\r' || true)
  expect_equal "the sandboxed tiplined answers GET /api/v1/keys on a Tor circuit" "$answer" "HTTP/1.1 200 OK"
  answer=$(in_container bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 && cat <&3' 2>&1 || true)
  expect_equal "a connection without Tor's PROXY line is closed unanswered" "$answer" ""
  # tor opens its listeners a moment after it tells systemd it is ready.
  local sockets opened
  for ((i = 0; i < listener_wait_s * 2; i++)); do
    sockets=$(in_container find /run/tor-instances/tipline -type s 2>&1 || echo "no /run/tor-instances/tipline")
    [ -z "$sockets" ] || break
    sleep 0.5
  done
  expect_equal "tor@tipline opened no SOCKS or control socket in /run/tor-instances/tipline" "$sockets" ""
  opened=$(in_container journalctl -u tor@tipline.service --no-pager | grep -o 'Opened .* listener.*' || true)
  expect_equal "tor@tipline logged no listener" "$opened" ""

  local rc
  rc=0
  in_container "$installer" --show >"$work/boot-show.out" 2>"$work/boot-show.err" || rc=$?
  expect_equal "install.sh --show under systemd exits 0" "$rc" 0
  expect "the onion addresses survived the boot (keys kept)" \
    grep -qF "$source_address" "$work/boot-show.out"
  expect "--show prints the responder address" grep -qF "$responder_address" "$work/boot-show.out"

  local tiplined_pid tor_main
  tiplined_pid=$(main_pid tiplined.service)
  tor_main=$(main_pid tor@tipline.service)
  rc=0
  in_container "$installer" --packages "$stage/previous" --responders-file /etc/tipline/install.conf \
    >"$work/boot-same.out" 2>"$work/boot-same.err" || rc=$?
  expect_equal "a rerun under systemd exits 0" "$rc" 0
  expect "it says nothing changed" grep -q "nothing changed" "$work/boot-same.err"
  expect_equal "it restarts neither tiplined nor tor" "$(main_pid tiplined.service) $(main_pid tor@tipline.service)" \
    "$tiplined_pid $tor_main"

  send_tip
  tiplined_pid=$(main_pid tiplined.service)
  rc=0
  in_container "$installer" --release "$stage/release" --release-key "$stage/keys/release.pub" \
    --responders-file /etc/tipline/install.conf >"$work/boot-upgrade.out" 2>"$work/boot-upgrade.err" || rc=$?
  expect_equal "an upgrade to the newer packages, from a signed release folder, under systemd exits 0" "$rc" 0
  expect "the installer verified the release first" grep -q "verified the release in $stage/release" "$work/boot-upgrade.err"
  for p in tiplined tipline-submit tipline-responder; do
    expect_equal "the $p package is now $version" "$(in_container dpkg-query -W -f='${Version}' "$p" 2>&1)" "$version"
  done
  expect "the package restarted tiplined" test "$(main_pid tiplined.service)" != "$tiplined_pid"
  expect_equal "tiplined runs after the upgrade" "$(in_container systemctl is-active tiplined.service || true)" active
  expect_equal "it leaves tor running" "$(main_pid tor@tipline.service)" "$tor_main"
  read_tip "the tip sent before the upgrade is read back after it"
  expect "the first install from a release pinned its key in /etc/tipline/release-key.pub" \
    cmp -s "$root/etc/tipline/release-key.pub" "$root$stage/keys/release.pub"
  expect "the installer said so" grep -q "pinned the release key in /etc/tipline/release-key.pub" "$work/boot-upgrade.err"
  expect_stat /etc/tipline/release-key.pub 644 root

  # A release signed by someone else, handed over with their key: refused before anything changes.
  tiplined_pid=$(main_pid tiplined.service)
  rc=0
  in_container "$installer" --release "$stage/release-other" --release-key "$stage/keys/other.pub" \
    --responders-file /etc/tipline/install.conf >"$work/boot-other.out" 2>"$work/boot-other.err" || rc=$?
  expect_equal "a release signed by another key, with that key, is refused with exit 1" "$rc" 1
  expect "... naming the pinned key" grep -q "is not the one pinned in /etc/tipline/release-key.pub" "$work/boot-other.err"
  expect_equal "... and tiplined was not touched" "$(main_pid tiplined.service)" "$tiplined_pid"
  expect "... and the pinned key is unchanged" cmp -s "$root/etc/tipline/release-key.pub" "$root$stage/keys/release.pub"
  # The same release again, through the installed tipline-setup and the pinned key alone: the
  # packaged verify-release checks it, and nothing needs changing.
  rc=0
  in_container /usr/sbin/tipline-setup --release "$stage/release" --responders-file /etc/tipline/install.conf \
    >"$work/boot-setup-release.out" 2>"$work/boot-setup-release.err" || rc=$?
  expect_equal "tipline-setup --release with the pinned key exits 0" "$rc" 0
  expect "... having verified the release with the pinned key" \
    grep -q "verified the release in $stage/release with /etc/tipline/release-key.pub" "$work/boot-setup-release.err"
  expect "... and it says nothing changed" grep -q "nothing changed" "$work/boot-setup-release.err"
  expect_equal "... and tiplined was not restarted" "$(main_pid tiplined.service)" "$tiplined_pid"
  tiplined_pid=$(main_pid tiplined.service)
  rc=0
  in_container systemctl reload tiplined.service || rc=$?
  expect_equal "systemctl reload tiplined exits 0, tiplined still running in the same process" \
    "$rc $(in_container systemctl is-active tiplined.service || true) $(main_pid tiplined.service)" "0 active $tiplined_pid"

  # The organisation's list, installed by the operator's one command while the sandboxed tiplined runs.
  tiplined_pid=$(main_pid tiplined.service)
  rc=0
  in_container runuser -u tipline -- tiplined recipients install /var/lib/tipline "$stage/keys/two.list" \
    >"$work/boot-list.out" 2>"$work/boot-list.err" || rc=$?
  expect_equal "tiplined recipients install, as the service user, exits 0" "$rc" 0
  expect "it names the organisation that signed the list" grep -qF "organisation: $org_fp" "$work/boot-list.out"
  expect "it names Bob, enrolled by hand before, as on the list" grep -qF "responder $bob_fp" "$work/boot-list.out"
  local keys=""
  for ((i = 0; i < listener_wait_s * 4; i++)); do
    keys=$(in_container bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "PROXY TCP6 fc00:dead:beef:4dad::0:2 ::1 65535 80\r\nGET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 && cat <&3' 2>&1 || true)
    ! grep -q '"recipient_list"' <<<"$keys" || break
    sleep 0.5
  done
  expect "the running tiplined serves the signed list, without a restart" grep -q '"recipient_list"' <<<"$keys"
  expect_equal "tiplined was not restarted" "$(main_pid tiplined.service)" "$tiplined_pid"
  rc=0
  in_container "$installer" --show >"$work/boot-show-list.out" 2>&1 || rc=$?
  expect "--show prints the organisation's fingerprint" grep -qF "$org_fp" "$work/boot-show-list.out"
  check_removal
  stop_container
}

# A tip sent with tipline-submit (this side's, in the container's network) through a relay that begins
# each connection with the PROXY line tor would send, as witnesses' tips arrive through the onion.
send_tip() {
  cat >"$work/relay.js" <<'EOF'
const net = require('net');
net.createServer((witness) => {
  const server = net.connect(8080, '127.0.0.1', () => {
    server.write('PROXY TCP6 fc00:dead:beef:4dad::0:3 ::1 65535 80\r\n');
    witness.pipe(server);
    server.pipe(witness);
  });
  const end = () => { witness.destroy(); server.destroy(); };
  witness.on('error', end);
  server.on('error', end);
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
EOF
  nsenter --target "$leader" --net node "$work/relay.js" "$relay_port" >"$work/relay.log" 2>&1 &
  relay_pid=$!
  local i
  for ((i = 0; i < listener_wait_s * 4; i++)); do
    grep -q listening "$work/relay.log" && break
    sleep 0.25
  done
  printf 'The upgrade test tip: 인신매매 신고.\n' >"$work/tip.txt"
  local rc=0
  nsenter --target "$leader" --net env -i PATH="$PATH" LANG=C.UTF-8 "$submit" send --server "http://127.0.0.1:$relay_port" \
    --expect "$alice_fp" --message-file "$work/tip.txt" --receipt-out "$work/receipt" \
    >"$work/send.out" 2>"$work/send.err" </dev/null || rc=$?
  expect_equal "tipline-submit sends a tip to the installed tiplined" "$rc" 0
  kill "$relay_pid" 2>/dev/null || true
  wait "$relay_pid" 2>/dev/null || true
  relay_pid=""
}

read_tip() { # read_tip DESCRIPTION: the tip sent, exported by tiplined and opened with Alice's key
  local bundle=/var/lib/tipline/install-test.bundle rc=0
  rm -rf "$work/opened" "$work/export.bundle"
  in_container runuser -u tipline -- tiplined export /var/lib/tipline --out "$bundle" >"$work/export.out" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || { cp "$root$bundle" "$work/export.bundle" && rm -f "$root$bundle"; } || rc=$?
  [ "$rc" -ne 0 ] || "$responder" open "$work/export.bundle" --key "$work/alice.key" --passphrase-file "$work/passphrase" \
    --out "$work/opened" >"$work/open.out" 2>&1 || rc=$?
  local message
  message=$(cat "$work"/opened/*/message.txt 2>/dev/null || echo "no tip: $(tail -n 3 "$work/export.out" "$work/open.out" 2>/dev/null)")
  expect_equal "$1" "$message" "$(cat "$work/tip.txt")"
}

# Removing the package stops tiplined and keeps the tips; purging keeps them too, and the onion keys,
# and says so; purging with TIPLINE_PURGE_DATA=yes deletes the tips, still not the keys.
check_removal() {
  local rc=0 hs_key=/var/lib/tor-instances/tipline/source/hs_ed25519_secret_key
  in_container apt-get remove -y tiplined >"$work/remove.out" 2>&1 || rc=$?
  expect_equal "apt-get remove tiplined exits 0" "$rc" 0
  expect_equal "removing it stops tiplined" "$(in_container systemctl is-active tiplined.service || true)" inactive
  expect "removing it deletes /usr/bin/tiplined" test ! -e "$root/usr/bin/tiplined"
  expect "removing it keeps the tips" test -s "$root/var/lib/tipline/tips.sqlite"
  rc=0
  in_container apt-get purge -y tiplined >"$work/purge.out" 2>&1 || rc=$?
  expect_equal "apt-get purge tiplined exits 0" "$rc" 0
  expect "purging keeps the tips" test -s "$root/var/lib/tipline/tips.sqlite" -a -s "$root/var/lib/tipline/tiplined.conf"
  expect "purging keeps the install record" test -s "$root/etc/tipline/install.conf"
  expect "purging says it kept the tips, and how to delete them" \
    grep -q "^tiplined: kept /var/lib/tipline (the stored tips, ciphertext)" "$work/purge.out"
  expect "... naming TIPLINE_PURGE_DATA=yes" grep -q "TIPLINE_PURGE_DATA=yes" "$work/purge.out"
  expect "purging keeps the onion services' keys" test -s "$root$hs_key"
  expect "purging says it kept them" grep -q "^tiplined: kept the onion services' keys in /var/lib/tor-instances/tipline" "$work/purge.out"
  expect_equal "purging stops tor@tipline" "$(in_container systemctl is-active tor@tipline.service || true)" inactive
  expect_equal "purging masks tor@tipline, which Debian's tor-generator would start at boot" \
    "$(in_container systemctl is-enabled tor@tipline.service 2>&1 || true)" masked
  expect "the tipline user stays, owning the kept tips" in_root id -u tipline >/dev/null

  # Installed again, and set up from the install record: the same tip line, with the same tips.
  rc=0
  local deb
  deb=$(cd "$root$stage/packages" && compgen -G "tiplined_*.deb")
  in_container apt-get install -y "$stage/packages/$deb" >"$work/reinstall.out" 2>&1 || rc=$?
  expect_equal "the package installs again over the kept data" "$rc" 0
  rc=0
  in_container "$installer" --responders-file /etc/tipline/install.conf >"$work/resetup.out" 2>"$work/resetup.err" || rc=$?
  expect_equal "the setup from the kept install record exits 0" "$rc" 0
  expect "it unmasks tor@tipline" grep -q "unmasked tor@tipline.service" "$work/resetup.err"
  expect_equal "tiplined and tor@tipline run again" \
    "$(in_container systemctl is-active tiplined.service tor@tipline.service | paste -sd ' ')" "active active"
  expect "the source address is the same" grep -qF "$source_address" "$work/resetup.out"
  read_tip "the tip sent before the removal is read back after the reinstall"
  rc=0
  in_container env TIPLINE_PURGE_DATA=yes apt-get purge -y tiplined >"$work/purge-data.out" 2>&1 || rc=$?
  expect_equal "apt-get purge tiplined with TIPLINE_PURGE_DATA=yes exits 0" "$rc" 0
  expect "it deletes /var/lib/tipline" test ! -e "$root/var/lib/tipline"
  expect "it deletes /etc/tipline" test ! -e "$root/etc/tipline"
  expect "it says so" grep -q "^tiplined: deleted /var/lib/tipline (the stored tips)" "$work/purge-data.out"
  expect "it still keeps the onion services' keys" test -s "$root$hs_key"
}

main() {
  check_prerequisites
  make_root
  stage_files
  plant_local_install
  check_refusals
  say "first install, of the previous packages (as a chroot: no systemd, so nothing is started)"
  local rc t0=$SECONDS
  rc=$(run_install first -- --packages "$stage/previous" --responder "$stage/keys/alice.pub" --auth-secrets "$secrets")
  say "first install took $((SECONDS - t0))s"
  [ "$rc" -eq 0 ] || fatal "install.sh exited $rc" "$work/first.out" "$work/first.err"
  ok "install.sh exits 0 on a fresh Debian 12"
  check_first_install
  check_tor
  check_show
  check_reruns
  check_sandbox
  check_boot
  say "ran in $((SECONDS - started))s"
  echo "install_test: $passed passed, $failed failed"
  ((failed == 0))
}

main "$@"
