#!/usr/bin/env bash
# Installs Tipline on Debian 12 behind two Tor onion services: the tiplined, tipline-submit and
# tipline-responder packages, then the setup step (the responders, the tor instance and its client
# authorizations, the services). The tiplined package holds this script as /usr/sbin/tipline-setup,
# and the setup always runs from there: deploy/install.sh in a source tree installs the packages, then
# hands over to the tipline-setup they hold. Run it again with newer packages to upgrade; it never
# replaces a key. Exit codes: 0 done, 1 a step failed or the install conflicts, 2 usage.
set -euo pipefail
umask 022

prog=$(basename "$0")
readonly prog
readonly setup_path=/usr/sbin/tipline-setup
readonly bin_dir=/usr/bin
readonly doc_dir=/usr/share/doc/tiplined
readonly packaged_torrc=/usr/share/tipline/torrc
readonly onion_auth_keygen=/usr/lib/tipline/onion-auth-keygen
readonly data_dir=/var/lib/tipline
readonly service_user=tipline
readonly record_dir=/etc/tipline
readonly record=/etc/tipline/install.conf
# The release key of the first install from a signed release; later releases must verify with it.
readonly pinned_release_key=/etc/tipline/release-key.pub
# deploy/verify-release: the source tree's, or the one the tiplined package installed.
readonly packaged_verify_release=/usr/lib/tipline/verify-release
readonly tor_instance=tipline
readonly tor_user=_tor-tipline
readonly tor_etc=/etc/tor/instances/tipline
readonly tor_data=/var/lib/tor-instances/tipline
readonly tor_defaults=/usr/share/tor/tor-service-defaults-torrc-instances
readonly source_hs=$tor_data/source
readonly responder_hs=$tor_data/responder
readonly auth_dir=$responder_hs/authorized_clients
readonly max_responders=16
readonly hostname_wait_s=90
readonly package_names=(tiplined tipline-submit tipline-responder)
readonly enabled_units=(tiplined.service tipline-purge.timer "tor@$tor_instance.service")
# Installs made before the packages: programs in /usr/local/bin, units in /etc/systemd/system.
readonly local_bin_dir=/usr/local/bin
readonly local_doc_dir=/usr/local/share/doc/tipline
readonly local_units=(tiplined.service tipline-purge.service tipline-purge.timer)
readonly list_file_name=recipients.list  # in the data folder, as tiplined recipients install writes it
readonly enrol_doc="\"The list of responders\" in $doc_dir/OPERATIONS.md (docs/OPERATIONS.md)"

self=$(realpath "${BASH_SOURCE[0]}")
src_root=$(dirname "$(dirname "$self")")
readonly self src_root

packages_dir=""            # where the .deb files to install are (--packages, or a build's output)
release_dir=""             # a signed release folder (--release), verified before anything else
release_key=""             # the release key's public half (--release-key)
release_copy=""            # the verified copy the packages are installed from
verifier=""                # the deploy/verify-release that checks it
build_from_source=false
setup_args=()              # the options of the setup step, handed over to tipline-setup as given
auth_secrets=""            # the new file the client authorizations go to, instead of the terminal
secrets_fd=""              # that file, open from just before the first key is made
responders_file=""
recipient_list=""          # the organisation's signed list, when the responders come from one
work_dir=""                # scratch files of this run, removed when it ends
show=false
responder_args=()
responder_keys=()          # key texts, as given
declare -A fingerprint=()  # key text -> "12345 67890 ..."
declare -A new_private=()  # key text -> base32 private key of a client authorization made in this run
tor_changed=false
config_changed=false
init_needed=false
first_install=true         # no install record yet: this run makes the client authorizations
retired_local=false
failing=false

usage() {
  cat <<EOF
Usage: $prog [--release DIR --release-key KEY.pub | --packages DIR | --build-from-source] [--auth-secrets FILE]
         --recipient-list FILE | --responder PATH.pub|KEY [--responder ...] | --responders-file FILE
       $prog --show

Installs the tiplined, tipline-submit and tipline-responder packages, then sets up a "tipline" data
folder in $data_dir, a tor instance "$tor_instance" publishing the source and responder onion services,
client authorization for each responder, and starts the services. Run as root on Debian 12.

  --release DIR         a signed release folder (scripts/release): its signature and checksums are
                        checked with deploy/verify-release before anything else, then its packages
                        are installed from a copy only root can write
  --release-key KEY.pub the release key's public half, compared beforehand with the one the
                        organisation publishes (default: the key pinned in $pinned_release_key
                        by the first install from a release, else deploy/release-key.pub beside
                        this script); a key other than the pinned one is refused
  --packages DIR        install the packages from DIR first (tiplined_*.deb, tipline-submit_*.deb,
                        tipline-responder_*.deb, one version); without it they must be installed
  --build-from-source   for developers: build the packages from the source tree this script is in
                        (dpkg-buildpackage, into its parent folder), then install them
  --recipient-list F    the responders as the organisation signed them (tipline-responder org sign);
                        witnesses then pin the organisation's fingerprint
  --responder KEY       a responder's PATH.pub or key text (tipline-pk1-...); repeatable, up to $max_responders
  --responders-file F   one key text or .pub path per line; '#' starts a comment; relative paths
                        are relative to F's folder; $record itself is such a file
  --auth-secrets FILE   write the responders' client authorizations, made by the first install, to
                        FILE, a new file of mode 0600, instead of showing them on the terminal
  --show                print the onion addresses and enrolled responders, and change nothing

A rerun with the same responders upgrades the packages given and changes nothing else. Enrolling or
removing a responder later is a new signed list and tiplined recipients install: see $enrol_doc.
EOF
}

# Each message says what failed; hints say what to do. Lowercase, no final period.
say() { echo "$prog: $*" >&2; }
fail_with() { # fail_with CODE MESSAGE [HINT...]
  local code=$1
  echo "$prog: error: $2" >&2
  shift 2
  local hint
  for hint in "$@"; do echo "hint: $hint" >&2; done
  # Keys made before the failure exist nowhere else: write or show them even so (once: writing them
  # may be what failed).
  if ((${#new_private[@]})) && ! $failing; then
    failing=true
    print_authorizations
  fi
  exit "$code"
}
die() { fail_with 1 "$@"; }
usage_error() { fail_with 2 "$@"; }

systemd_running() { [ -d /run/systemd/system ]; }

trim() { # trim TEXT: without leading and trailing white space
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  printf '%s' "${s%"${s##*[![:space:]]}"}"
}

parse_args() {
  while (($#)); do
    case $1 in
      --packages | --release | --release-key | --responder | --responders-file | --recipient-list | --auth-secrets)
        (($# >= 2)) || usage_error "$1 needs a value" "run $prog --help"
        set_option "$1" "$2"
        shift 2 ;;
      --packages=* | --release=* | --release-key=* | --responder=* | --responders-file=* | --recipient-list=* | --auth-secrets=*)
        set_option "${1%%=*}" "${1#*=}"
        shift ;;
      --build-from-source) build_from_source=true; shift ;;
      --binaries | --binaries=*)
        usage_error "--binaries is gone: the programs come as Debian packages" \
          "give the packages: --packages DIR (dpkg-buildpackage -us -uc -b makes them in the clone's parent folder)" \
          "or build them here: --build-from-source" ;;
      --show) show=true; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage_error "unknown argument '$1'" "run $prog --help" ;;
    esac
  done
  if $show; then
    [ -z "$packages_dir$release_dir$release_key$responders_file$recipient_list$auth_secrets" ] && ! $build_from_source &&
      ((${#responder_args[@]} == 0)) ||
      usage_error "--show takes no other option" "it only prints what an earlier install set up"
    return 0
  fi
  [ -z "$packages_dir" ] || ! $build_from_source ||
    usage_error "--packages and --build-from-source both name the packages" "give one of them"
  if [ -n "$release_dir" ]; then
    [ -z "$packages_dir" ] && ! $build_from_source ||
      usage_error "--release names the packages itself" "give --release DIR alone, without --packages or --build-from-source"
    [ -d "$release_dir" ] || usage_error "the release folder '$release_dir' does not exist"
    verifier=$src_root/deploy/verify-release
    [ -x "$verifier" ] || verifier=$packaged_verify_release
    [ -x "$verifier" ] ||
      usage_error "deploy/verify-release is missing" "run the deploy/install.sh of a clone of the release's tag"
    if [ -z "$release_key" ]; then
      release_key=$src_root/deploy/release-key.pub
      [ ! -f "$pinned_release_key" ] || release_key=$pinned_release_key
    fi
    [ -f "$release_key" ] && [ -r "$release_key" ] ||
      usage_error "cannot read the release key '$release_key'" \
        "give the release key's public half with --release-key, compared first with the one the organisation publishes"
    release_dir=$(realpath -- "$release_dir")
    release_key=$(realpath -- "$release_key")
  elif [ -n "$release_key" ]; then
    usage_error "--release-key without --release" "give the release folder with --release DIR"
  fi
  if [ -n "$packages_dir" ]; then
    [ -d "$packages_dir" ] || usage_error "the packages folder '$packages_dir' does not exist" \
      "give the folder that holds tiplined_*.deb, tipline-submit_*.deb and tipline-responder_*.deb"
    packages_dir=$(realpath -- "$packages_dir")
  fi
  if [ -n "$auth_secrets" ]; then
    auth_secrets=$(realpath -m -- "$auth_secrets")
    setup_args+=(--auth-secrets "$auth_secrets")
  fi
  if [ -n "$recipient_list" ]; then
    [ -z "$responders_file" ] && ((${#responder_args[@]} == 0)) ||
      usage_error "--recipient-list names the responders itself" "give either the list or --responder keys, not both"
    [ -f "$recipient_list" ] && [ -r "$recipient_list" ] ||
      usage_error "cannot read the recipient list '$recipient_list'" "give the file tipline-responder org sign wrote"
    recipient_list=$(realpath -- "$recipient_list")
    setup_args+=(--recipient-list "$recipient_list")
    return 0
  fi
  [ -n "$responders_file" ] || ((${#responder_args[@]})) ||
    usage_error "no responder given" "give the organisation's signed list: --recipient-list responders.list," \
      "or name each responder's public key: --responder alice.pub --responder bob.pub," \
      "or list them in a file: --responders-file responders.txt"
  local arg
  for arg in "${responder_args[@]}"; do setup_args+=(--responder "$arg"); done
  [ -z "$responders_file" ] || setup_args+=(--responders-file "$responders_file")
}

set_option() { # set_option NAME VALUE
  case $1 in
    --packages) [ -z "$packages_dir" ] || usage_error "--packages is given twice"
      packages_dir=$2 ;;
    --release) [ -z "$release_dir" ] || usage_error "--release is given twice"
      release_dir=$2 ;;
    --release-key) [ -z "$release_key" ] || usage_error "--release-key is given twice"
      release_key=$2 ;;
    --auth-secrets) [ -z "$auth_secrets" ] || usage_error "--auth-secrets is given twice"
      [ -n "$2" ] || usage_error "--auth-secrets needs a file name"
      auth_secrets=$2 ;;
    --recipient-list) [ -z "$recipient_list" ] || usage_error "--recipient-list is given twice"
      recipient_list=$2 ;;
    --responder) responder_args+=("$2") ;;
    --responders-file) [ -z "$responders_file" ] || usage_error "--responders-file is given twice"
      responders_file=$2 ;;
  esac
}

require_root() {
  [ "$(id -u)" -eq 0 ] ||
    die "must run as root: it installs packages, a system user and system services" "run: sudo $self ..."
}

add_responder() { # add_responder ARG ORIGIN BASE_DIR
  local arg=$1 origin=$2 base=$3 key path
  if [[ $arg == tipline-pk1-* ]]; then
    key=$(trim "$arg")
  else
    path=$arg
    [[ $path == /* ]] || path=$base/$path
    [ -f "$path" ] && [ -r "$path" ] ||
      usage_error "cannot read the responder key '$arg' ($origin)" \
        "give a responder's PATH.pub from tipline-responder keygen, or its key text tipline-pk1-..."
    key=$(head -n 1 -- "$path")
    key=$(trim "${key%$'\r'}")
  fi
  [[ $key =~ ^tipline-pk1-[A-Za-z0-9_-]+$ ]] ||
    usage_error "'$arg' ($origin) is not a responder's public key" \
      "a public key is one line starting with tipline-pk1-, as in the .pub file; never give the secret key file"
  local known
  for known in "${responder_keys[@]}"; do
    [ "$known" != "$key" ] || usage_error "the responder key '$arg' ($origin) is given twice" "name each responder once"
  done
  responder_keys+=("$key")
}

resolve_responders() {
  local arg line n=0
  for arg in "${responder_args[@]}"; do add_responder "$arg" "--responder" "$PWD"; done
  if [ -n "$responders_file" ]; then
    [ -f "$responders_file" ] && [ -r "$responders_file" ] ||
      usage_error "cannot read the responders file '$responders_file'" "give a file with one key text or .pub path per line"
    local base
    base=$(cd "$(dirname "$responders_file")" && pwd)
    while IFS= read -r line || [ -n "$line" ]; do
      n=$((n + 1))
      line=$(trim "${line%%#*}")
      # "responder KEY" lines, as in the install record, so that the record itself can be given.
      [[ $line =~ ^responder[[:space:]]+(tipline-pk1-.*)$ ]] && line=${BASH_REMATCH[1]}
      [ -z "$line" ] || add_responder "$line" "$responders_file line $n" "$base"
    done <"$responders_file"
  fi
  ((${#responder_keys[@]})) || usage_error "'$responders_file' names no responder" "put one key or .pub path per line"
  ((${#responder_keys[@]} <= max_responders)) ||
    usage_error "${#responder_keys[@]} responders given; a tip is sealed to at most $max_responders"
}

# The responders of the organisation's list, its signature and expiry checked by the installed
# tipline-responder (so only once the packages are in: up to here nothing else has changed).
resolve_list_responders() {
  local keys key
  # tipline-responder speaks the operator's language; what this script reads of it, it asks in English.
  keys=$(LC_ALL=C.UTF-8 LANGUAGE= "$bin_dir/tipline-responder" org show --keys "$recipient_list" 2>"$work_dir/list.err") ||
    die "the recipient list '$recipient_list' cannot be used: $(sed -n 's/^tipline-responder: error: //p' "$work_dir/list.err" | head -n 1)" \
      "ask the organisation for its current signed list; the setup changed nothing"
  while IFS= read -r key; do [ -z "$key" ] || add_responder "$key" "$recipient_list" "$PWD"; done <<<"$keys"
}

sorted_keys() { printf '%s\n' "${responder_keys[@]}" | LC_ALL=C sort; }
recorded_keys() { sed -n 's/^responder[[:space:]]\+//p' "$record" | LC_ALL=C sort; }
configured_keys() { grep -o 'tipline-pk1-[A-Za-z0-9_-]*' "$data_dir/tiplined.conf" | LC_ALL=C sort -u; }

describe_key() { # describe_key KEY: its fingerprint when a tipline-responder can tell, else its start
  local fp
  if fp=$("$bin_dir/tipline-responder" fingerprint "$1" 2>/dev/null); then
    echo "fingerprint $fp"
  else
    echo "${1:0:28}..."
  fi
}

# A rerun must name the responders of the first install; anything else is refused before any change.
check_against_record() {
  [ -e "$record" ] || return 0
  local recorded wanted key
  recorded=$(recorded_keys)
  [ -n "$recorded" ] || die "$record names no responder" "restore it from a backup; it lists the responder keys of the first install"
  wanted=$(sorted_keys)
  [ "$recorded" != "$wanted" ] || return 0
  {
    echo "$prog: error: these responders differ from those this server was installed with ($record); nothing was changed"
    while IFS= read -r key; do
      [ -z "$key" ] || echo "hint: given but not enrolled: $(describe_key "$key")"
    done < <(LC_ALL=C comm -13 <(echo "$recorded") <(echo "$wanted"))
    while IFS= read -r key; do
      [ -z "$key" ] || echo "hint: enrolled but not given: $(describe_key "$key")"
    done < <(LC_ALL=C comm -23 <(echo "$recorded") <(echo "$wanted"))
    echo "hint: to upgrade, run it again with the enrolled responders: --responders-file $record"
    echo "hint: to enrol or remove a responder, follow $enrol_doc"
  } >&2
  exit 1
}

# A data folder from an earlier, unrecorded setup is kept only if it has the same responders.
check_existing_data_dir() {
  init_needed=false
  if [ ! -e "$data_dir" ]; then
    init_needed=true
    return 0
  fi
  [ -d "$data_dir" ] || die "$data_dir exists and is not a folder" "move it away, then run $prog again"
  if [ -z "$(ls -A "$data_dir")" ]; then
    init_needed=true
    return 0
  fi
  [ -f "$data_dir/tiplined.conf" ] ||
    die "$data_dir holds files but no tiplined.conf, so it is not a Tipline data folder" \
      "move it away (check first that it holds nothing you need), then run $prog again"
  [ ! -e "$record" ] || return 0
  [ "$(configured_keys)" = "$(sorted_keys)" ] ||
    die "$data_dir already holds a Tipline data folder for other responders, and $record is missing" \
      "to keep its tips, run $prog with the responders its tiplined.conf lists" \
      "to start afresh, move $data_dir away first: it holds the stored tips"
}

# The client authorizations are secrets: they go to a new file the operator names, or to a terminal,
# never to a pipe or a log. Checked before anything changes. Only a first install (no install record)
# makes them.
check_secrets_destination() {
  $first_install || return 0
  if [ -n "$auth_secrets" ]; then
    [ ! -e "$auth_secrets" ] && [ ! -L "$auth_secrets" ] ||
      usage_error "'$auth_secrets' already exists" \
        "name a new file for the client authorizations: --auth-secrets creates it, and never replaces a file"
    [ -d "$(dirname "$auth_secrets")" ] ||
      usage_error "the folder of '$auth_secrets' does not exist" "name a file in an existing folder"
  elif [ ! -t 1 ]; then
    usage_error "this first install makes the responders' client authorizations, which are secret, and standard output is not a terminal" \
      "name a new file for them: --auth-secrets FILE (created with mode 0600, never replacing a file)" \
      "or run $prog on a terminal, where they are shown once"
  fi
}

# Debian starts its default tor (with a SOCKS port) when the package is installed; mask it first.
mask_default_tor() {
  command -v systemctl >/dev/null 2>&1 || return 0
  [ "$(systemctl is-enabled tor@default.service 2>/dev/null || true)" != masked ] || return 0
  if systemd_running; then
    systemctl --quiet mask --now tor@default.service ||
      die "could not stop and mask tor@default.service" "run: systemctl mask --now tor@default.service"
  else
    systemctl --quiet mask tor@default.service || die "could not mask tor@default.service" \
      "run: systemctl mask tor@default.service"
  fi
  say "masked tor@default.service: this server runs no tor SOCKS port, only the tor@$tor_instance services"
}

# The three packages in a folder: one file each, of one version, for this machine. A signed release's
# files come here too, once verified.
find_packages() { # find_packages DIR [VERSION]: sets package_files and package_version
  local dir=$1 wanted=${2:-} name files version arch pattern
  package_files=()
  package_version=""
  arch=$(dpkg --print-architecture)
  pattern=${wanted:-*}
  for name in "${package_names[@]}"; do
    mapfile -t files < <(compgen -G "$dir/${name}_${pattern}_$arch.deb" || true)
    ((${#files[@]} == 1)) || {
      if ((${#files[@]} == 0)); then
        die "no ${name}_${wanted:-VERSION}_$arch.deb in $dir" \
          "give the folder dpkg-buildpackage -us -uc -b wrote the three packages to (the source tree's parent)"
      fi
      die "$dir holds ${#files[@]} versions of $name" "keep one version of the three packages in the folder, or give another folder"
    }
    version=$(dpkg-deb -f "${files[0]}" Version) || die "${files[0]} is not a Debian package" "build it again"
    [ -z "$package_version" ] || [ "$version" = "$package_version" ] ||
      die "the packages in $dir are of different versions ($package_version and $version)" \
        "give the three packages of one build"
    package_version=$version
    package_files+=("${files[0]}")
  done
}

installed_version() { # installed_version PACKAGE: its version, or nothing when not installed
  { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null || true; } | sed -n 's/^install ok installed //p'
}

# Whether the package file holds exactly what is installed: the same version and the same files
# (dpkg's checksums of them), so that a rebuild of one version with changes is installed again.
same_as_installed() { # same_as_installed NAME FILE
  [ "$(installed_version "$1")" = "$package_version" ] &&
    cmp -s <(dpkg-deb -I "$2" md5sums 2>/dev/null) <(dpkg-query --control-show "$1" md5sums 2>/dev/null)
}

# apt-get installs the packages and what they depend on from Debian: those that differ from what
# is installed (--reinstall: a rebuild of one version too), and tor. Its lists may be old (a fresh
# server) or out of reach (no network, when every dependency is already here): it tries without
# updating them first.
install_packages() {
  local i name current changed=()
  for i in "${!package_names[@]}"; do
    name=${package_names[$i]}
    current=$(installed_version "$name")
    if [ -n "$current" ] && dpkg --compare-versions "$current" gt "$package_version"; then
      die "$name $current is installed, newer than the packages given ($package_version)" \
        "install the newer packages; going back to an older version is restoring a backup"
    fi
    same_as_installed "$name" "${package_files[$i]}" || changed+=("${package_files[$i]}")
  done
  if ((${#changed[@]} == 0)); then
    say "tiplined, tipline-submit and tipline-responder $package_version are already installed"
  else
    say "installing $(printf '%s\n' "${changed[@]##*/}" | sed 's/_.*//' | paste -sd ' ') $package_version"
    apt_install --reinstall "${changed[@]}"
  fi
  if [ -z "$(installed_version tor)" ]; then
    say "installing tor"
    apt_install tor
  fi
}

apt_install() { # apt_install [--reinstall] PACKAGE...
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get install -y -q --no-install-recommends "$@")
  if ! "${apt[@]}" >"$work_dir/apt.log" 2>&1; then
    apt-get update -q >&2 ||
      die "apt-get update failed" "check the network and /etc/apt/sources.list, then run $prog again"
    "${apt[@]}" >&2 ||
      die "apt-get could not install $*" "see apt's message above, fix it, then run $prog again"
  else
    cat "$work_dir/apt.log" >&2
  fi
}

# For developers: the packages built from this source tree, as the packages of a release are.
build_packages() {
  [ -f "$src_root/debian/control" ] && [ -f "$src_root/debian/changelog" ] ||
    usage_error "--build-from-source needs a Tipline source tree, and $src_root is not one" \
      "run the deploy/install.sh of a clone, or give built packages with --packages DIR"
  say "installing what the packages build with (apt-get build-dep), then building them in $src_root"
  export DEBIAN_FRONTEND=noninteractive
  (cd "$src_root" && { apt-get build-dep -y -q ./ || { apt-get update -q && apt-get build-dep -y -q ./; }; }) >&2 ||
    die "apt-get could not install the build dependencies" "see apt's message above"
  (cd "$src_root" && dpkg-buildpackage -us -uc -b) >&2 ||
    die "dpkg-buildpackage failed in $src_root" "see the build's message above, or give built packages with --packages DIR"
  find_packages "$(dirname "$src_root")" "$(cd "$src_root" && dpkg-parsechangelog -S Version)"
}

# Packages given: installed first, then the setup they hold runs, in a new process. Without them,
# the setup needs them installed, and runs from there too.
install_then_hand_over() {
  if $build_from_source; then
    build_packages
  elif [ -n "$packages_dir" ]; then
    find_packages "$packages_dir"
  else
    local name
    for name in "${package_names[@]}"; do
      [ -n "$(installed_version "$name")" ] ||
        die "the $name package is not installed" \
          "give the packages: --packages DIR (dpkg-buildpackage -us -uc -b makes them), or build them here: --build-from-source"
    done
    [ "$self" = "$setup_path" ] && return 0
    hand_over
  fi
  pin_release_key
  mask_default_tor
  install_packages
  [ -x "$setup_path" ] || die "$setup_path is missing after the install" "reinstall the tiplined package"
  hand_over
}

hand_over() {
  rm -rf -- "$work_dir" ${release_copy:+"$release_copy"}
  trap - EXIT
  exec "$setup_path" "${setup_args[@]}"
}

fingerprint_responders() {
  local responder_tool=$bin_dir/tipline-responder key fp short
  declare -A owner_of_short=()
  for key in "${responder_keys[@]}"; do
    fp=$(LC_ALL=C.UTF-8 LANGUAGE= "$responder_tool" fingerprint "$key" 2>&1) ||
      usage_error "the responder key ${key:0:28}... is not valid: ${fp#tipline-responder: error: }" \
        "ask the responder for their .pub file again"
    fingerprint[$key]=$fp
    short=$(short_fingerprint "$fp")
    [ -z "${owner_of_short[$short]:-}" ] ||
      die "two responders share the fingerprint prefix $short, which names their client authorization file" \
        "one of them should make a new key with tipline-responder keygen"
    owner_of_short[$short]=$key
  done
}

short_fingerprint() { # short_fingerprint "12345 67890 ...": "12345-67890", the name of the .auth file
  local groups
  read -ra groups <<<"$1"
  echo "${groups[0]:-unknown}-${groups[1]:-}"
}

auth_file_of() { echo "$auth_dir/responder-$(short_fingerprint "${fingerprint[$1]}").auth"; }

# An install made before the packages left its programs in /usr/local/bin and its units in
# /etc/systemd/system, where they would hide the package's: they go, and the package's units serve.
retire_local_install() {
  local unit found=false
  for unit in "${local_units[@]}"; do
    grep -qs "$local_bin_dir/tiplined" "/etc/systemd/system/$unit" && found=true
  done
  $found || return 0
  systemctl --quiet disable "${local_units[@]}" 2>/dev/null || true
  if systemd_running; then systemctl stop "${local_units[@]}" 2>/dev/null || true; fi
  for unit in "${local_units[@]}"; do
    ! grep -qs "$local_bin_dir/tiplined" "/etc/systemd/system/$unit" || rm -f -- "/etc/systemd/system/$unit"
  done
  rm -f -- "$local_bin_dir/tiplined" "$local_bin_dir/tipline-submit" "$local_bin_dir/tipline-responder"
  rm -rf -- "$local_doc_dir"
  if systemd_running; then systemctl daemon-reload || die "systemctl daemon-reload failed" "run it by hand to see why"; fi
  retired_local=true
  say "removed the programs in $local_bin_dir and the units in /etc/systemd/system of the install before the packages"
}

install_file() { # install_file SOURCE DEST MODE: 0 if DEST was replaced, 1 if it already matched
  local src=$1 dest=$2 mode=$3 tmp
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s -- "$src" "$dest" &&
    [ "$(stat -c '%a %u %g' -- "$dest")" = "$mode 0 0" ]; then
    return 1
  fi
  # A new file renamed over the old one, so a running program keeps its copy.
  tmp=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX") || die "cannot write in $(dirname "$dest")"
  if ! { cp -- "$src" "$tmp" && chown root:root "$tmp" && chmod "$mode" "$tmp" && mv -f -- "$tmp" "$dest"; }; then
    rm -f -- "$tmp"
    die "could not install $dest" "check the disk and permissions, then run $prog again"
  fi
  return 0
}

check_service_user() {
  id -u "$service_user" >/dev/null 2>&1 ||
    die "the system user $service_user is missing" "reinstall the tiplined package, which makes it: apt-get install --reinstall tiplined"
}

# tiplined init runs as the service user, so everything it creates is the service's from the start.
init_data_dir() {
  $init_needed || return 0
  if [ -e "$data_dir" ]; then
    chown "$service_user:$service_user" "$data_dir"
    chmod 0700 "$data_dir"
  else
    install -d -m 0700 -o "$service_user" -g "$service_user" "$data_dir"
  fi
  local args=() key
  if [ -n "$recipient_list" ]; then
    # A copy the service user can read, wherever the operator keeps the list.
    install -m 0644 -- "$recipient_list" "$work_dir/recipients.list"
    args=(--recipient-list "$work_dir/recipients.list")
  else
    while IFS= read -r key; do args+=(--responder "$key"); done < <(sorted_keys)
  fi
  (cd / && setpriv --reuid="$service_user" --regid="$service_user" --init-groups --no-new-privs --reset-env -- \
    "$bin_dir/tiplined" init "$data_dir" "${args[@]}") >&2 ||
    die "tiplined init $data_dir failed (its message is above)" \
      "fix the cause, empty $data_dir (it holds no tips yet), then run $prog again"
}

# deploy/torrc has tor begin each connection with its circuit's PROXY line
# (HiddenServiceExportCircuitID haproxy), so tiplined must expect it: otherwise it would take the
# line for a malformed request, and keep its budgets for all witnesses together.
enable_circuit_ids() {
  local conf=$data_dir/tiplined.conf tmp
  grep -Eq '^circuit_ids[[:space:]]*=[[:space:]]*true[[:space:]]*$' "$conf" && return 0
  tmp=$(mktemp "$data_dir/.tiplined.conf.XXXXXX")
  if grep -Eq '^circuit_ids[[:space:]]*=' "$conf"; then
    sed -E 's/^circuit_ids[[:space:]]*=.*$/circuit_ids = true/' "$conf" >"$tmp"
  else
    { cat "$conf"; printf '\n# deploy/torrc sends each connection'"'"'s Tor circuit (set by %s).\ncircuit_ids = true\n' "$prog"; } >"$tmp"
  fi
  chown "$service_user:$service_user" "$tmp"
  chmod 0600 "$tmp"
  mv -- "$tmp" "$conf"
  config_changed=true
  say "set circuit_ids = true in $conf: deploy/torrc sends Tor's circuit IDs"
}

write_record() {
  [ ! -e "$record" ] || return 0
  install -d -m 0755 "$record_dir"
  local tmp key
  tmp=$(mktemp "$record_dir/.install.conf.XXXXXX")
  {
    echo "# The responders deploy/install.sh installed this server with. A rerun must name the same keys;"
    echo "# to enrol or remove a responder, follow \"The list of responders\" in docs/OPERATIONS.md."
    while IFS= read -r key; do echo "responder $key"; done < <(sorted_keys)
  } >"$tmp"
  chmod 0600 "$tmp"
  mv -- "$tmp" "$record"
  say "recorded the responders in $record"
}

config_value() { # config_value KEY: its value in tiplined.conf, unquoted
  sed -n "s/^$1[[:space:]]*=[[:space:]]*\"\\(.*\\)\"[[:space:]]*\$/\\1/p" "$data_dir/tiplined.conf"
}

hs_target() { # hs_target TORRC DIR: where the onion service of DIR forwards port 80
  awk -v dir="$2" '$1 == "HiddenServiceDir" { current = $2 }
    $1 == "HiddenServicePort" && current == dir && $2 == "80" { print $3 }' "$1"
}

# tor@NAME.service may write only under /var/lib/tor-instances, as the instance's own user.
check_torrc() {
  local torrc=$packaged_torrc expected dirs listen
  [ -r "$tor_defaults" ] || die "$tor_defaults is missing" "reinstall Debian's tor package: apt-get install --reinstall tor"
  expected=$(sed -n 's/^DataDirectory[[:space:]]\+//p' "$tor_defaults" | sed "s/@@NAME@@/$tor_instance/g")
  [ "$expected" = "$tor_data" ] ||
    die "Debian's tor instances keep their data in '$expected', not in $tor_data" \
      "make deploy/torrc and deploy/install.sh use the folder $tor_defaults names"
  [ "$(awk '$1 == "DataDirectory" { print $2 }' "$torrc")" = "$tor_data" ] ||
    die "$packaged_torrc must set DataDirectory $tor_data, the folder tor@$tor_instance.service may write"
  dirs=$(awk '$1 == "HiddenServiceDir" { print $2 }' "$torrc" | paste -sd ' ')
  [ "$dirs" = "$source_hs $responder_hs" ] ||
    die "$packaged_torrc must publish HiddenServiceDir $source_hs and then $responder_hs, not '$dirs'"
  listen=$(config_value listen)
  [ "$(hs_target "$torrc" "$source_hs")" = "$listen" ] ||
    die "$packaged_torrc sends the source service to '$(hs_target "$torrc" "$source_hs")' but tiplined listens on '$listen'" \
      "make HiddenServicePort 80 of $source_hs match listen in $data_dir/tiplined.conf"
  listen=$(config_value responder_listen)
  [ "$(hs_target "$torrc" "$responder_hs")" = "$listen" ] ||
    die "$packaged_torrc sends the responder service to '$(hs_target "$torrc" "$responder_hs")' but tiplined listens on '$listen'" \
      "make HiddenServicePort 80 of $responder_hs match responder_listen in $data_dir/tiplined.conf"
}

owned_private_dir() { # owned_private_dir DIR: creates DIR 0700 for the tor user, or checks an existing one
  if [ ! -e "$1" ]; then
    # 00700 also clears the set-group-ID bit inherited from Debian's 02700 instance folder.
    install -d -o "$tor_user" -g "$tor_user" "$1" && chmod 00700 "$1" || die "could not create $1"
  elif [ "$(stat -c %U -- "$1")" != "$tor_user" ]; then
    die "$1 is owned by $(stat -c %U -- "$1"), not by $tor_user, so tor@$tor_instance cannot use it" \
      "run: chown -R $tor_user:$tor_user $1"
  fi
}

setup_tor_instance() {
  check_torrc
  if ! id -u "$tor_user" >/dev/null 2>&1 || [ ! -d "$tor_data" ] || [ ! -d "$tor_etc" ]; then
    tor-instance-create "$tor_instance" >&2 ||
      die "tor-instance-create $tor_instance failed (its message is above)" "run it by hand to see why, then run $prog again"
    say "created the tor instance $tor_instance (user $tor_user, data in $tor_data)"
  fi
  [ "$(stat -c %U -- "$tor_data")" = "$tor_user" ] ||
    die "$tor_data is owned by $(stat -c %U -- "$tor_data"), not by $tor_user" "run: chown -R $tor_user:$tor_user $tor_data"
  if install_file "$packaged_torrc" "$tor_etc/torrc" 644; then
    tor_changed=true
    say "installed $tor_etc/torrc"
  fi
  owned_private_dir "$responder_hs"
  owned_private_dir "$auth_dir"
}

# One X25519 key pair per responder: tor gets the public half, the responder the private half.
# Only the run that makes the install record makes them: later ones are made by hand (OPERATIONS.md).
authorize_responders() {
  $first_install || return 0
  local key file priv pub
  for key in "${responder_keys[@]}"; do
    file=$(auth_file_of "$key")
    [ ! -e "$file" ] || continue
    open_secrets_file
    # The private key stays in memory, and goes only to the operator's file or terminal.
    read -r pub priv < <("$onion_auth_keygen") && [ -n "${priv:-}" ] ||
      die "$onion_auth_keygen could not make a client authorization key" "see its message above"
    (umask 077 && set -o noclobber && printf 'descriptor:x25519:%s\n' "$pub" >"$file") ||
      die "could not create $file" "check $auth_dir, then run $prog again"
    chown "$tor_user:$tor_user" "$file"
    chmod 0600 "$file"
    new_private[$key]=$priv
    tor_changed=true
    say "authorized responder ${fingerprint[$key]} for the responder onion service ($file)"
    write_authorizations
  done
}

# The file --auth-secrets names: created (O_EXCL, mode 0600) just before the first key is made, so
# that a key is never made with nowhere to go, and kept open until the run ends.
open_secrets_file() {
  [ -n "$auth_secrets" ] && [ -z "$secrets_fd" ] || return 0
  local old_umask
  old_umask=$(umask)
  umask 077
  set -o noclobber
  exec {secrets_fd}>"$auth_secrets" ||
    usage_error "could not create '$auth_secrets' for the client authorizations (it must be a new file)" \
      "name a new file in a folder root can write: --auth-secrets FILE; no key was made"
  set +o noclobber
  umask "$old_umask"
  say "writing the client authorizations to $auth_secrets (mode 0600)"
}

# The secrets file again, whole, through the open descriptor: after each key, and once tor has made
# the responder onion's address.
write_authorizations() {
  [ -n "$secrets_fd" ] || return 0
  authorizations >|"/dev/fd/$secrets_fd" ||
    die "could not write the client authorizations to $auth_secrets" "check the disk; the keys made are in it so far"
}

enable_units() {
  if systemd_running; then systemctl daemon-reload || die "systemctl daemon-reload failed" "run it by hand to see why"; fi
  # A purge of the tiplined package masks the tor instance it leaves behind.
  if [ "$(systemctl is-enabled "tor@$tor_instance.service" 2>/dev/null || true)" = masked ]; then
    systemctl --quiet unmask "tor@$tor_instance.service" ||
      die "could not unmask tor@$tor_instance.service" "run: systemctl unmask tor@$tor_instance.service"
    tor_changed=true
    say "unmasked tor@$tor_instance.service, which a purge of the tiplined package had masked"
  fi
  systemctl --quiet enable "${enabled_units[@]}" ||
    die "could not enable ${enabled_units[*]}" "run: systemctl enable ${enabled_units[*]}"
  mask_default_tor
}

wait_for_addresses() {
  local i
  for ((i = 0; i < hostname_wait_s; i++)); do
    [ -s "$source_hs/hostname" ] && [ -s "$responder_hs/hostname" ] && return 0
    sleep 1
  done
  die "tor@$tor_instance wrote no onion address within ${hostname_wait_s}s" \
    "see why with: journalctl -u tor@$tor_instance; then run $prog again"
}

# A package upgrade restarts a running tiplined by itself; the setup restarts it only for its own
# changes to tiplined.conf.
start_services() {
  local action
  action=start
  $tor_changed && action=restart
  systemctl "$action" "tor@$tor_instance.service" ||
    die "could not $action tor@$tor_instance" "see why with: journalctl -u tor@$tor_instance"
  action=start
  $config_changed && action=restart
  systemctl "$action" tiplined.service tipline-purge.timer ||
    die "could not $action tiplined and tipline-purge.timer" "see why with: journalctl -u tiplined"
  wait_for_addresses
  systemctl --quiet is-active tiplined.service ||
    die "tiplined.service is not running" "see why with: journalctl -u tiplined; then run $prog again"
}

onion_address() { # onion_address HS_DIR: its hostname, or nothing before tor has run
  [ -s "$1/hostname" ] && head -n 1 -- "$1/hostname" || true
}

authorizations() { # the private halves made by this run, in the form of tor's .auth_private files
  local host key
  host=$(onion_address "$responder_hs")
  host=${host%.onion}
  if [ -n "$secrets_fd" ]; then
    echo "Client authorization for the responder onion service: kept nowhere else on this server. Delete this"
    echo "file once each responder has its line."
  else
    echo "Client authorization for the responder onion service: shown only now, and kept nowhere on this server."
  fi
  echo "Give each line only to its responder, over a safe channel. On the responder's online machine it is the"
  echo "only line of a file named like responder.auth_private in the folder tor's ClientOnionAuthDir names."
  while IFS= read -r key; do
    [ -n "${new_private[$key]:-}" ] || continue
    echo "  responder ${fingerprint[$key]}:"
    echo "    ${host:-RESPONDER-ONION-ADDRESS}:descriptor:x25519:${new_private[$key]}"
  done < <(sorted_keys)
  [ -n "$host" ] || echo "  Replace RESPONDER-ONION-ADDRESS with the responder onion address without .onion;" \
    "$setup_path --show prints it once tor@$tor_instance has run."
}

# To the file --auth-secrets named, else to the terminal (check_secrets_destination saw to it).
print_authorizations() {
  if [ -n "$secrets_fd" ]; then
    write_authorizations
    echo
    echo "Client authorizations for the responder onion service: written to $auth_secrets (mode 0600), not shown."
    echo "Give each responder only its own line, over a safe channel, then delete the file."
  else
    echo
    authorizations
  fi
}

print_summary() {
  local source_address responder_address key
  source_address=$(onion_address "$source_hs")
  responder_address=$(onion_address "$responder_hs")
  echo
  echo "Source onion address (publish it: witnesses reach the tip line there, in Tor Browser or with tipline-submit):"
  echo "  ${source_address:-not made yet: tor@$tor_instance has not run}"
  echo
  echo "Responder onion address (give it only to the enrolled responders; it answers only their authorized tor):"
  echo "  ${responder_address:-not made yet: tor@$tor_instance has not run}"
  echo
  local organisation=""
  [ ! -f "$data_dir/$list_file_name" ] ||
    organisation=$(LC_ALL=C.UTF-8 LANGUAGE= "$bin_dir/tipline-responder" org show "$data_dir/$list_file_name" 2>/dev/null | sed -n 's/^organisation: //p')
  if [ -n "$organisation" ]; then
    echo "Organisation fingerprint (publish it next to the address: witnesses pin it with --expect):"
    echo "  $organisation"
    echo
    echo "Responders on the organisation's list (tiplined recipients show $data_dir):"
  else
    echo "Enrolled responder keys (publish these fingerprints; compare each aloud with its responder):"
  fi
  while IFS= read -r key; do
    echo "  ${fingerprint[$key]:-unknown fingerprint: ${key:0:28}...}"
  done < <(sorted_keys)
  echo
  echo "Client authorizations of the responder onion service ($auth_dir):"
  local authorizations
  authorizations=$(find "$auth_dir" -maxdepth 1 -type f -name '*.auth' -printf '  %f\n' 2>/dev/null | LC_ALL=C sort)
  echo "${authorizations:-  none: anyone who learns the responder onion address can reach it}"
  if ((${#new_private[@]})); then print_authorizations; fi
  echo
  echo "Data: tips (ciphertext only) in $data_dir; the onion services' keys in $tor_data (back them up:"
  echo "losing them changes both addresses); the install record in $record."
  if ! systemd_running; then
    echo
    echo "systemd is not running here, so the services are enabled but not started. On the server, start them with"
    echo "  systemctl start tor@$tor_instance.service tiplined.service tipline-purge.timer"
    echo "or reboot, then print the onion addresses with: $setup_path --show"
  fi
}

show_install() {
  [ -r "$record" ] || die "Tipline is not installed here: $record is missing" "install it with: $self --packages DIR --responder PATH.pub"
  local key fp
  while IFS= read -r key; do
    responder_keys+=("$key")
    fp=$("$bin_dir/tipline-responder" fingerprint "$key" 2>/dev/null) && fingerprint[$key]=$fp
  done < <(recorded_keys)
  print_summary
}

make_work_dir() {
  work_dir=$(mktemp -d /tmp/tipline-install.XXXXXX) || die "cannot make a scratch folder in /tmp"
  chmod 0755 "$work_dir"
  trap 'rm -rf -- "$work_dir" ${release_copy:+"$release_copy"}' EXIT
}

# A release folder is copied where only root can write, and that copy is verified and installed,
# so that nothing can change between the check and the install. Nothing else has happened yet.
verify_release() {
  [ -n "$release_dir" ] || return 0
  command -v minisign >/dev/null 2>&1 ||
    usage_error "minisign is not installed, and a release folder is checked with it" \
      "install it from Debian first: apt-get install minisign"
  local copy rc=0
  # A key other than the pinned one: someone may be handing over their own release and key.
  if [ -f "$pinned_release_key" ] && [ "$(release_key_line "$release_key")" != "$(release_key_line "$pinned_release_key")" ]; then
    die "the release key '$release_key' is not the one pinned in $pinned_release_key by the first install from a signed release; nothing was installed or changed" \
      "give the release with the key the organisation publishes, or leave out --release-key to use the pinned one" \
      "if the project really changed its release key, check the new one with the organisation, then replace $pinned_release_key by hand"
  fi
  copy=$(mktemp -d /tmp/tipline-release.XXXXXX) || die "cannot make a scratch folder in /tmp"
  cp -R --no-preserve=ownership -- "$release_dir"/. "$copy/" || { rm -rf -- "$copy"; die "cannot copy the release folder '$release_dir'"; }
  "$verifier" "$copy" --key "$release_key" >&2 || rc=$?
  if [ "$rc" -ne 0 ]; then
    rm -rf -- "$copy"
    fail_with "$rc" "the release in '$release_dir' did not verify (see above); nothing was installed or changed" \
      "fetch the release again, and check that the key is the one the organisation publishes"
  fi
  chmod 0755 "$copy"  # root's alone to write; apt's unprivileged reader may read it
  say "verified the release in $release_dir with $release_key"
  packages_dir=$copy
  release_copy=$copy
}

# release_key_line FILE: the key itself, the last line of a minisign public key file.
release_key_line() { grep -v '^untrusted comment:' -- "$1" | tr -d '[:space:]'; }

# The first install from a signed release pins its key, which later releases must verify with.
pin_release_key() {
  [ -n "$release_dir" ] && [ ! -f "$pinned_release_key" ] || return 0
  install -d -m 0755 "$record_dir"
  local tmp
  tmp=$(mktemp "$record_dir/.release-key.pub.XXXXXX")
  cat -- "$release_key" >"$tmp"
  chmod 0644 "$tmp"
  mv -- "$tmp" "$pinned_release_key"
  say "pinned the release key in $pinned_release_key: later releases must verify with it"
}

main() {
  parse_args "$@"
  require_root
  verify_release
  if $show; then
    show_install
    return 0
  fi
  [ ! -e "$record" ] || first_install=false
  if [ -z "$recipient_list" ]; then
    resolve_responders
    check_against_record
    check_existing_data_dir
  fi
  check_secrets_destination
  make_work_dir
  # Nothing has changed up to here. With packages given, this process installs them and the
  # tipline-setup they hold goes on (it checks all of the above again).
  install_then_hand_over
  check_service_user
  if [ -n "$recipient_list" ]; then
    resolve_list_responders
    check_against_record
    check_existing_data_dir
  fi
  fingerprint_responders
  retire_local_install
  init_data_dir
  enable_circuit_ids
  setup_tor_instance
  authorize_responders
  write_record
  enable_units
  if systemd_running; then start_services; fi
  if ! $tor_changed && ! $init_needed && ! $config_changed && ! $retired_local; then
    say "the setup was already done for these responders; nothing changed"
  fi
  print_summary
}

main "$@"
