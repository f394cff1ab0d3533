#!/usr/bin/env bash
# mmprov test lab: real hosts on one machine.
#
# Each lab host hN is a network namespace (address 10.213.7.(10+N) on bridge mmlabbr0) plus a mount/uts/pid
# namespace in which per-host folders are bind-mounted over /etc/mysql, /var/lib/mysql, /run/mysqld,
# /var/log/mysql, /var/lib/mmprov, /etc/ssh, /root and /tmp, with a private tmpfs over /run/lock. Every host
# runs its own sshd (port 22, key auth only, its own host key) and its own MariaDB from Debian's packages, so
# mmprov talks to it exactly as to a remote machine.
#
#   lab.sh install        apt-get the packages the lab needs (Debian, as root)
#   lab.sh up N           raise hosts h1..hN (idempotent: running hosts are left alone)
#   lab.sh status         one line per host: process, ssh, mysqld
#   lab.sh down           stop every lab process (by recorded PID and namespace), remove namespaces and state
#   lab.sh ssh hN [CMD]   open a shell (or run CMD) on a lab host with the lab's key and known_hosts
#   lab.sh behind N       raise hosts p1..pN on a second network (bridge mmlabbr1, 10.213.8.0/24; each family
#                         has its own, see the table below) that this machine has no address on, so cannot
#                         reach; h3 (up first) gets a leg on it (eth1 at .3) and is their bastion. Writes
#                         behind.ini. `lab.sh ssh pN` goes through h3.
#   lab.sh reboot hN      power-cycle a host: every process killed at once (no clean shutdown, as a power
#                         loss), its network gone, then booted again from its folder (data, config and keys kept)
#   lab.sh bare bN...     (re)boot bare hosts (b1..b9, 10.213.7.(200+N) on mmlabbr0) from nothing: a private root
#                         (an overlay over the machine's root, its upper layer in memory) with the MariaDB server
#                         and client packages purged, an empty /var/lib/mysql, and as its only package source
#                         the lab's local one (the server's .deb files fetched by `install`, indexed, signed with
#                         the lab's key), so installing the server needs no network. A bare host's packages are
#                         its own. Each call starts the named hosts from nothing again.
#
# Every host also takes logins as three machine accounts (the machine's /etc/passwd and /home are every host's),
# for production-style access: mmlab-deploy (sudo without a password), mmlab-sudo (sudo with the password in
# $state/sudo-password) and mmlab-nosudo (no sudo rights).
#
# State lives in $MMPROV_LAB_DIR (default: lab/.state beside this script): the SSH key, known_hosts, the
# inventories (inventory.yml, inventory.ini) and one folder per host.
#
# Server families (--server, anywhere on the command line): the default, mariadb-10.11, is the machine's own
# MariaDB as above. mysql-9.7 and mariadb-11.8 come from Debian's newest suite (sid), which needs a newer C
# library than the machine's, so their hosts run from a root image of their own:
#
#   lab.sh install --server S   build S's image once per machine (debootstrap --variant=minbase from sid, the
#                               mirror taken from the machine's apt sources): $MMPROV_LAB_IMAGES (default
#                               /var/cache/mmlab-images)/S/root, with the server's .deb files beside it (debs/,
#                               indexed and signed) for bare hosts. Rebuilt only when missing or incomplete.
#   lab.sh up N --server S      hosts h1..hN of family S, state in lab/.state-S unless MMPROV_LAB_DIR says
#                               otherwise; the state records S ($state/server), so status, ssh, reboot, bare
#                               and down need no flag when MMPROV_LAB_DIR points there.
#
# Each such host: a network namespace, then its own mount, uts, pid and cgroup namespaces (in a cgroup of its
# own on a cgroup2 mount at /run/mmlab-cgroup), an overlay root over the image whose upper layer is the host's
# folder (its disk: data and config survive `reboot`), and real systemd as PID 1. The server runs under
# Debian's own unit (mysql.service, mariadb.service) with the package's config as shipped (it listens on
# 127.0.0.1 until a playbook says otherwise) and layout (MariaDB 11.8: /var/lib/mariadb, /run/mariadbd); its
# datadir is initialized at the host's first boot (its own server_uuid; MySQL's root@localhost by auth_socket,
# as Debian's postinst does). Each host has its own sshd host key, machine id, /etc/hosts naming its peers, an
# empty resolv.conf, and the three machine accounts in its own /etc. `reboot` SIGKILLs its systemd (which
# ignores SIGTERM) and boots it again from its disk. Bare hosts are the image with the server purged, its
# upper layer in memory, the image's own server packages as their only package source.
#
#   family         bridge    subnet            namespaces      behind the bastion (`behind`)
#   mariadb-10.11  mmlabbr0  10.213.7.0/24     mmlab-h1..      mmlabbr1  10.213.8.0/24   mmlab-p1..
#   mysql-9.7      mmlabbr2  10.213.9.0/24     mmlab-my-h1..   mmlabbr4  10.213.11.0/24  mmlab-my-p1..
#   mariadb-11.8   mmlabbr3  10.213.10.0/24    mmlab-mb-h1..   mmlabbr5  10.213.12.0/24  mmlab-mb-p1..
#
# One lab per family can be up at a time, all three side by side; `down` takes down only its own (its bridges,
# its unreachable route for the network behind its bastion, its namespaces).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "lab: $*" >&2; exit 1; }
log() { echo "lab: $*" >&2; }

# --server may stand anywhere on the command line; what remains are the command and its arguments.
server_flag=
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --server) [ $# -ge 2 ] || die "--server takes a server family"; server_flag=$2; shift 2 ;;
    --server=*) server_flag=${1#--server=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- ${args[@]+"${args[@]}"}
case $server_flag in
  '' | mariadb-10.11 | mysql-9.7 | mariadb-11.8) ;;
  *) die "unknown server family '$server_flag' (mariadb-10.11, mysql-9.7, mariadb-11.8)" ;;
esac
if [ -n "${MMPROV_LAB_DIR:-}" ]; then
  state=$MMPROV_LAB_DIR
elif [ -n "$server_flag" ] && [ "$server_flag" != mariadb-10.11 ]; then
  state=$here/.state-$server_flag
else
  state=$here/.state
fi
# A lab of another family records it in its state; the default family's state records nothing.
recorded=$(cat "$state/server" 2>/dev/null || true)
# A state folder named after a family belongs to it even once gone: a second `down` of a MySQL lab must not
# become the default lab's `down`, which sweeps every mmlab-[hpb]* namespace.
if [ -z "$recorded" ]; then
  case ${state%/} in
    */.state-mysql-9.7) recorded=mysql-9.7 ;;
    */.state-mariadb-11.8) recorded=mariadb-11.8 ;;
  esac
fi
server=${server_flag:-${recorded:-mariadb-10.11}}
if [ "${1:-}" != install ] && [ -n "$recorded" ] && [ "$recorded" != "$server" ]; then
  die "$state holds a $recorded lab, not $server"
fi
if [ "${1:-}" != install ] && [ -z "$recorded" ] && [ "$server" != mariadb-10.11 ] && [ -d "$state/hosts" ]; then
  die "$state holds a mariadb-10.11 lab, not $server"
fi

# The family's network, names and server. Each family has its own bridge, subnet and namespace prefix, so labs
# of different families run side by side; the default family's prefix (mmlab-h1) is the one its `down` sweeps
# (^mmlab-[hpb]), which the others' (mmlab-my-h1, mmlab-mb-h1) never match.
sid=
ns_prefix=mmlab-
bridge=mmlabbr0
net_prefix=10.213.7
# The network behind the bastion (`behind`): a bridge and subnet of the family's own, so each family's p hosts
# and its bastion's leg come and go with its own lab only.
back_bridge=mmlabbr1
back_prefix=10.213.8
admin=mariadb-admin
case $server in
  mysql-9.7)
    sid=yes ns_prefix=mmlab-my- bridge=mmlabbr2 net_prefix=10.213.9 admin=mysqladmin unit=mysql datadir=/var/lib/mysql
    back_bridge=mmlabbr4 back_prefix=10.213.11
    image_packages=(mysql-server mysql-client)
    # What a bare host of this family lacks.
    sid_server_packages=(mysql-server mysql-server-core mysql-client mysql-client-core)
    ;;
  mariadb-11.8)
    sid=yes ns_prefix=mmlab-mb- bridge=mmlabbr3 net_prefix=10.213.10 admin=mariadb-admin unit=mariadb
    back_bridge=mmlabbr5 back_prefix=10.213.12
    datadir=/var/lib/mariadb
    image_packages=(mariadb-server mariadb-client mariadb-backup)
    sid_server_packages=(mariadb-server mariadb-server-core mariadb-client mariadb-client-core mariadb-backup galera-4)
    ;;
esac
# Root images of Debian's newest suite, one per family, built once per machine by `install --server`.
images=${MMPROV_LAB_IMAGES:-/var/cache/mmlab-images}
image=$images/$server
# Each host of a sid family runs in a cgroup of its own on this cgroup2 mount (its systemd's tree).
cgroup_root=/run/mmlab-cgroup
bastion=h3
max_hosts=60
# The server's .deb files for bare hosts, their index and the key that signs it: fetched once per machine.
debs=${MMPROV_LAB_DEBS:-/var/cache/mmlab-debs}
# What a bare host lacks: the server, client and backup packages (the libraries and common files stay).
server_packages=(mariadb-server mariadb-server-core mariadb-client mariadb-client-core mariadb-backup galera-4
  mariadb-plugin-provider-bzip2 mariadb-plugin-provider-lz4 mariadb-plugin-provider-lzma
  mariadb-plugin-provider-lzo mariadb-plugin-provider-snappy)

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (namespaces, bind mounts)"; }

host_addr() {
  case $1 in
    p*) echo "$back_prefix.$((10 + ${1#p}))" ;;
    b*) echo "$net_prefix.$((200 + ${1#b}))" ;;
    *) echo "$net_prefix.$((10 + ${1#h}))" ;;
  esac
}

# Locally administered, from the host's address: 02:6d:6c:<subnet>:<host>:00.
host_mac() { address_mac "$(host_addr "$1")"; }
address_mac() {
  local a
  IFS=. read -r _ _ a[0] a[1] <<<"$1"
  printf '02:6d:6c:%02x:%02x:00\n' "${a[0]}" "${a[1]}"
}

bridge_of() { case $1 in p*) echo "$back_bridge" ;; *) echo "$bridge" ;; esac; }

install_packages() {
  need_root
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server mariadb-client openssh-server openssh-client iproute2 util-linux procps openssl \
    sudo gpg dpkg-dev mariadb-backup >/dev/null
  fetch_server_debs
}

# The machine's own server packages as .deb files (the versions installed, so they fit its libraries), a
# flat repository index, and a Release file signed with a lab key: a package source bare hosts reach
# without a network and check as apt checks any signed source.
fetch_server_debs() {
  local want=() p v f
  for p in "${server_packages[@]}"; do
    v=$(dpkg-query -W -f='${Version}' "$p") || die "$p is not installed on this machine"
    want+=("$p=$v")
  done
  if [ -f "$debs/wanted" ] && [ "$(cat "$debs/wanted")" = "${want[*]}" ]; then
    return 0
  fi
  rm -rf "$debs"
  mkdir -p "$debs/gnupg"
  chmod 700 "$debs/gnupg"
  (cd "$debs" && apt-get -o APT::Sandbox::User=root download -qq "${want[@]}" >/dev/null)
  sign_package_source "$debs"
  echo "${want[*]}" >"$debs/wanted"
}

# Index the .deb files of folder $1 as a flat repository and sign its Release with a key made for it (its
# public half in $1/key.asc), so a host checks it as apt checks any signed source.
sign_package_source() {
  local d=$1 f
  (cd "$d" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null && gzip -9kf Packages)
  gpg --homedir "$d/gnupg" --batch --quiet --passphrase '' \
    --quick-gen-key 'mmprov lab packages <packages@mmlab.invalid>' ed25519 sign never
  gpg --homedir "$d/gnupg" --batch --armor --export >"$d/key.asc"
  {
    echo "Origin: mmlab"
    echo "Label: mmlab"
    echo "Date: $(LC_ALL=C date -Ru)"
    echo "SHA256:"
    for f in Packages Packages.gz; do
      echo " $(sha256sum "$d/$f" | cut -d' ' -f1) $(stat -c %s "$d/$f") $f"
    done
  } >"$d/Release"
  gpg --homedir "$d/gnupg" --batch --yes --clearsign -o "$d/InRelease" "$d/Release"
}

# Debian's mirror as this machine's apt reaches it: the first live `deb` line (sources.list and *.list) or
# `URIs:` field (*.sources) whose path is Debian's main archive; commented lines are not live, and
# /etc/apt/sources.list may not exist.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    case $f in
      *.sources) awk '/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" ;;
      *) awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break } }' "$f" ;;
    esac
  done | while read -r uri; do
    case ${uri%/} in */debian) echo "${uri%/}"; break ;; esac
  done | head -n 1 | grep . || echo http://deb.debian.org/debian
}

# The image's packages: the family's server, what systemd needs to run as init, sshd, and every tool mmprov
# runs on a host (sh, awk, flock, base64, stat, tar, cmp, ss, getent, hostname, sudo; mysqldump, mysql and
# my_print_defaults come with the server and client).
image_include() {
  local p=("${image_packages[@]}" openssh-server iproute2 systemd systemd-sysv dbus sudo procps hostname passwd
    util-linux coreutils mawk tar diffutils findutils grep sed gzip libc-bin)
  (IFS=,; echo "${p[*]}")
}

# Units that reach for the machine (its kernel settings, consoles, module loading, device nodes) or run timers
# a lab host does not want; sshd-keygen would add host keys beside the one the lab gives each host.
masked_units=(systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
  proc-sys-fs-binfmt_misc.mount systemd-pstore.service getty@.service serial-getty@.service console-getty.service
  container-getty@.service getty-static.service getty.target kmod-static-nodes.service modprobe@.service
  systemd-tmpfiles-setup-dev.service systemd-tmpfiles-setup-dev-early.service systemd-remount-fs.service
  systemd-firstboot.service systemd-journald-audit.socket apt-daily.timer apt-daily-upgrade.timer fstrim.timer
  dpkg-db-backup.timer e2scrub_all.timer sshd-keygen.service)

# A root image of Debian's newest suite (sid) holding the family's server, built once per machine:
# $image/root, complete once $image/complete names what it was built with. Built aside and renamed, so an
# interrupted build leaves nothing that looks complete.
install_image() {
  local include mirror new=$image.new started=$SECONDS u
  need_root
  local t machine_tools_missing=
  for t in debootstrap gpg dpkg-scanpackages openssl ssh ssh-keygen nsenter unshare ip; do
    command -v "$t" >/dev/null 2>&1 || machine_tools_missing=yes
  done
  if [ -n "$machine_tools_missing" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap gpg dpkg-dev openssl openssh-client util-linux \
      iproute2 >/dev/null
  fi
  include=$(image_include)
  if [ -f "$image/complete" ] && [ "$(cat "$image/complete")" = "$include" ] && [ -x "$image/root/lib/systemd/systemd" ]; then
    log "$server image present: $image"
  else
    if ip netns list | awk '{print $1}' | grep -q "^$ns_prefix"; then
      die "$server hosts are running on the old image: take their lab down first"
    fi
    mirror=$(debian_mirror)
    log "building the $server image from sid at $mirror (about a minute)"
    rm -rf "$new"
    mkdir -p "$new"
    debootstrap --variant=minbase --include="$include" sid "$new/root" "$mirror" >"$new/debootstrap.log" 2>&1 ||
      die "debootstrap failed: see $new/debootstrap.log"
    for u in "${masked_units[@]}"; do ln -sfn /dev/null "$new/root/etc/systemd/system/$u"; done
    # Every host gets its own host key, machine id and datadir at its first boot: none come from the image.
    rm -f "$new"/root/etc/ssh/ssh_host_*
    : >"$new/root/etc/machine-id"
    find "$new/root$datadir" "$new/root/var/log/mysql" -mindepth 1 -delete 2>/dev/null || true
    if [ "$server" = mysql-9.7 ]; then find "$new/root/var/lib/mysql-files" "$new/root/var/lib/mysql-keyring" -mindepth 1 -delete; fi
    # The server's own packages, for bare hosts; the rest of the package cache goes.
    save_sid_debs "$new"
    rm -f "$new"/root/var/cache/apt/archives/*.deb
    echo "$include" >"$new/complete"
    rm -rf "$image"
    mv "$new" "$image"
    log "$server image built in $((SECONDS - started)) s: $image ($(du -sh "$image/root" | cut -f1))"
  fi
  [ -f "$image/debs/InRelease" ] || save_sid_debs "$image"
}

# The family's server packages as .deb files of the versions the image holds, a flat index and a Release file
# signed with a lab key: the local package source of a bare host. Taken from the image's package cache (what
# debootstrap installed); a file missing there is fetched from sid with apt-get download through a private
# sources list and package lists, never touching the machine's apt state.
save_sid_debs() {
  local img=$1 d=$1/debs want=() p v f missing=() apt_dir
  for p in "${sid_server_packages[@]}"; do
    v=$(chroot "$img/root" dpkg-query -W -f='${Version}' "$p" 2>/dev/null) || die "$p is not in the $server image"
    want+=("$p=$v")
  done
  rm -rf "$d"
  mkdir -p "$d/gnupg"
  chmod 700 "$d/gnupg"
  for p in "${want[@]}"; do
    # Debian's .deb file names write the epoch's ':' as %3a.
    v=${p#*=}
    f=$(ls "$img/root/var/cache/apt/archives/${p%%=*}_${v/:/%3a}"_*.deb 2>/dev/null | head -n 1 || true)
    if [ -n "$f" ]; then cp "$f" "$d/"; else missing+=("$p"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt_dir=$d/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    echo "deb $(debian_mirror) sid main" >"$apt_dir/sources.list"
    apt-get -qq -o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=/dev/null \
      -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" update >/dev/null
    (cd "$d" && apt-get -qq -o APT::Sandbox::User=root -o Dir::Etc::sourcelist="$apt_dir/sources.list" \
      -o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
      download "${missing[@]}" >/dev/null) || die "apt-get download ${missing[*]} from sid failed"
    rm -rf "$apt_dir"
  fi
  sign_package_source "$d"
  echo "${want[*]}" >"$d/wanted"
}

check_tools() {
  local t
  if [ -n "$sid" ]; then
    for t in ip unshare nsenter ssh ssh-keygen openssl; do
      command -v "$t" >/dev/null 2>&1 || die "missing $t: run '$0 install' first"
    done
    [ -f "$image/complete" ] || die "no $server image in $image: run '$0 install --server $server' first"
    return 0
  fi
  for t in ip unshare ssh ssh-keygen /usr/sbin/sshd mariadb-install-db mariadb-admin; do
    command -v "$t" >/dev/null 2>&1 || die "missing $t: run '$0 install' first"
  done
}

ensure_state() {
  mkdir -p "$state/hosts"
  touch "$state/.mmlab"
  [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mmprov-lab -f "$state/id_ed25519"
  if [ -n "$sid" ]; then
    echo "$server" >"$state/server"
    return 0
  fi
  # Mount points must exist in the root filesystem before they can be bound over.
  mkdir -p /etc/mysql /var/lib/mysql /var/lib/mmprov /run/mysqld /var/log/mysql /etc/ssh /run/sshd
}

# The lab's non-root logins: each with the lab key; mmlab-deploy and mmlab-sudo are sudoers.
ensure_users() {
  local user
  [ -f "$state/sudo-password" ] || openssl rand -hex 12 >"$state/sudo-password"
  chmod 600 "$state/sudo-password"
  # A sid family's hosts have their own /etc: each boot makes the accounts there (boot-sid.sh).
  [ -n "$sid" ] && return 0
  command -v sudo >/dev/null 2>&1 || die "missing sudo: run '$0 install' first"
  [ -f "$state/sudo-password" ] || openssl rand -hex 12 >"$state/sudo-password"
  chmod 600 "$state/sudo-password"
  for user in mmlab-deploy mmlab-sudo mmlab-nosudo; do
    id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
    # sshd without PAM refuses an account whose password is locked ('!'); '*' is no password, not locked.
    usermod -p '*' "$user"
    install -d -m 700 -o "$user" -g "$user" "/home/$user/.ssh"
    install -m 600 -o "$user" -g "$user" "$state/id_ed25519.pub" "/home/$user/.ssh/authorized_keys"
  done
  usermod -p "$(openssl passwd -6 -stdin <"$state/sudo-password")" mmlab-sudo
  cat >/etc/sudoers.d/mmlab <<'EOF'
# mmprov lab: production-style logins
Defaults:mmlab-deploy,mmlab-sudo,mmlab-nosudo lecture=never
mmlab-deploy ALL=(ALL:ALL) NOPASSWD: ALL
mmlab-sudo ALL=(ALL:ALL) ALL
EOF
  chmod 440 /etc/sudoers.d/mmlab
}

ensure_bridge() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$net_prefix.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qxF "$1"; }

host_running() {
  local dir=$state/hosts/$1 pid
  [ -f "$dir/pid" ] || return 1
  pid=$(cat "$dir/pid")
  kill -0 "$pid" 2>/dev/null && ns_exists "$ns_prefix$1"
}

# The per-host copy of /etc: private MariaDB config, a private sshd with its own host key.
prepare_host_dir() {
  local name=$1 dir=$state/hosts/$1 addr
  addr=$(host_addr "$name")
  [ -f "$dir/.prepared" ] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"/{lib-mysql,run-mysqld,log-mysql,lib-mmprov,root-home/.ssh,tmp}
  chmod 1777 "$dir/tmp"
  cp -a /etc/mysql "$dir/etc-mysql"
  cp -a /etc/ssh "$dir/etc-ssh"
  rm -f "$dir"/etc-ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/etc-ssh/ssh_host_ed25519_key"
  mkdir -p "$dir/etc-ssh/sshd_config.d"
  cat >"$dir/etc-ssh/sshd_config.d/00-mmlab.conf" <<EOF
# mmprov lab host $name
ListenAddress $addr
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
MaxSessions 64
MaxStartups 64:30:128
# Notice a client that went away while the network was down, and end its sessions (and the locks they hold).
ClientAliveInterval 3
ClientAliveCountMax 3
EOF
  cp "$state/id_ed25519.pub" "$dir/root-home/.ssh/authorized_keys"
  chmod 700 "$dir/root-home" "$dir/root-home/.ssh"
  chmod 600 "$dir/root-home/.ssh/authorized_keys"
  chown mysql:mysql "$dir/lib-mysql" "$dir/run-mysqld" "$dir/log-mysql"
  touch "$dir/.prepared"
}

# A sid-family host's folder: the upper layer of its overlay root (upper/, work/: its disk, kept across
# reboots), the mount point of that root (root/), its sshd host key and drop-in (etc-ssh/) and its machine id.
prepare_sid_host_dir() {
  local name=$1 dir=$state/hosts/$1 addr
  addr=$(host_addr "$name")
  [ -f "$dir/.prepared" ] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"/{upper,work,root,etc-ssh}
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/etc-ssh/ssh_host_ed25519_key"
  cat >"$dir/etc-ssh/00-mmlab.conf" <<EOF
# mmprov lab host $name
ListenAddress $addr
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
MaxSessions 64
MaxStartups 64:30:128
# Notice a client that went away while the network was down, and end its sessions (and the locks they hold).
ClientAliveInterval 3
ClientAliveCountMax 3
EOF
  tr -d '-' </proc/sys/kernel/random/uuid >"$dir/machine-id"
  touch "$dir/.prepared"
}

# The hosts file every host of the lab gets: its peers by name, nothing else resolves (resolv.conf is empty).
write_etc_hosts() {
  local dir name
  {
    echo "127.0.0.1 localhost"
    echo "::1 localhost ip6-localhost ip6-loopback"
    for dir in "$state"/hosts/h* "$state"/hosts/p* "$state"/hosts/b*; do
      [ -d "$dir" ] || continue
      name=$(basename "$dir")
      echo "$(host_addr "$name") $name"
    done
  } >"$state/etc-hosts.$$"
  mv "$state/etc-hosts.$$" "$state/etc-hosts"
}

# A running host's PID 1 (its systemd), as this machine numbers it: the one child of the recorded unshare.
host_pid1() {
  local pid
  pid=$(cat "$state/hosts/$1/pid" 2>/dev/null) || return 1
  cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}' | grep .
}

# Hosts already running learn of peers raised after them.
refresh_etc_hosts() {
  local name pid1
  for name in $(running_hosts) $(behind_hosts) $(bare_hosts); do
    host_running "$name" || continue
    pid1=$(host_pid1 "$name") || continue
    nsenter -t "$pid1" -m -r -w -- /bin/sh -c 'cat >/etc/hosts' <"$state/etc-hosts" || true
  done
}

# Boots a sid-family host: runs as PID 1 of its pid namespace, in its own network, mount, uts and cgroup
# namespaces, until it becomes the host's systemd.
write_sid_boot_script() {
  cat >"$state/boot-sid.sh.$$" <<'EOF'
#!/usr/bin/env bash
set -eu
dir=$1 name=$2 image=$3 server=$4 datadir=$5 bare=$6 state=$7 packages=$8
exec 3>>"$dir/host.log"
mount --make-rprivate /
# 1. The root: an overlay over the family's image. Its upper layer is the host's disk (kept across reboots),
#    or memory for a bare host (gone at each boot).
layer=$dir
if [ "$bare" = yes ]; then
  layer=$dir/mem
  mkdir -p "$layer"
  mount -t tmpfs -o mode=755 mmlab-mem "$layer"
fi
mkdir -p "$layer/upper" "$layer/work" "$dir/root"
R=$dir/root
mount -t overlay mmlab-overlay -o "lowerdir=$image/root,upperdir=$layer/upper,workdir=$layer/work" "$R"
# 2. What systemd expects to find: /proc, /dev (its console a sink), /sys, a cgroup2 tree (its own, through the
#    cgroup namespace), and fresh /run and /tmp.
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount --bind /dev/null "$R/dev/console"
mount -t sysfs sysfs "$R/sys"
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=755 mmlab-run "$R/run"
mount -t tmpfs -o mode=1777 mmlab-tmp "$R/tmp"
# 3. Its identity: name, machine id, sshd host key and settings, root's key, its peers, no DNS.
hostname "$name"
echo "$name" >"$R/etc/hostname"
cp "$dir/machine-id" "$R/etc/machine-id"
install -m 600 "$dir/etc-ssh/ssh_host_ed25519_key" "$R/etc/ssh/ssh_host_ed25519_key"
install -m 644 "$dir/etc-ssh/ssh_host_ed25519_key.pub" "$R/etc/ssh/ssh_host_ed25519_key.pub"
install -m 644 "$dir/etc-ssh/00-mmlab.conf" "$R/etc/ssh/sshd_config.d/00-mmlab.conf"
install -d -m 700 "$R/root/.ssh"
install -m 600 "$state/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
install -m 644 "$state/etc-hosts" "$R/etc/hosts"
rm -f "$R/etc/resolv.conf"
: >"$R/etc/resolv.conf"
# The kernel's log is this machine's, not the host's.
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nReadKMsg=no\n' >"$R/etc/systemd/journald.conf.d/mmlab.conf"
# The suites restart and kill the server dozens of times a minute: the unit's start limit (5 starts in 10 s)
# would leave it failed, which no real host sees at that pace.
for unit in mysql mariadb; do
  mkdir -p "$R/etc/systemd/system/$unit.service.d"
  printf '[Unit]\nStartLimitIntervalSec=0\n' >"$R/etc/systemd/system/$unit.service.d/mmlab.conf"
done
# 4. The lab's machine accounts, as on the default lab's hosts (sshd without PAM refuses a locked password:
#    '*' is no password, not locked).
hash=$(openssl passwd -6 -stdin <"$state/sudo-password")
for user in mmlab-deploy mmlab-sudo mmlab-nosudo; do
  chroot "$R" id "$user" >/dev/null 2>&1 || chroot "$R" useradd -m -s /bin/bash "$user"
  chroot "$R" usermod -p '*' "$user"
  chroot "$R" install -d -m 700 -o "$user" -g "$user" "/home/$user/.ssh"
  chroot "$R" install -m 600 -o "$user" -g "$user" /root/.ssh/authorized_keys "/home/$user/.ssh/authorized_keys"
done
chroot "$R" usermod -p "$hash" mmlab-sudo
cat >"$R/etc/sudoers.d/mmlab" <<'SUDOERS'
# mmprov lab: production-style logins
Defaults:mmlab-deploy,mmlab-sudo,mmlab-nosudo lecture=never
mmlab-deploy ALL=(ALL:ALL) NOPASSWD: ALL
mmlab-sudo ALL=(ALL:ALL) ALL
SUDOERS
chmod 440 "$R/etc/sudoers.d/mmlab"
# 5. A bare host: the server goes as an administrator removes it, and the lab's package source of the image's
#    suite becomes the host's only one. Any other host: its own datadir at its first boot (the image has none),
#    so its own server_uuid, TLS certificates and accounts.
if [ "$bare" = yes ]; then
  mkdir -p "$R/srv/mmlab-debs"
  mount --bind "$image/debs" "$R/srv/mmlab-debs"
  mount -o remount,bind,ro "$R/srv/mmlab-debs"
  chroot "$R" dpkg --purge --force-depends $packages >&3 2>&1
  rm -rf "$R$datadir"
  rm -rf "$R"/etc/apt/sources.list "$R"/etc/apt/sources.list.d/* "$R"/var/lib/apt/lists/*
  cp "$image/debs/key.asc" "$R/etc/apt/trusted.gpg.d/mmlab.asc"
  echo "deb file:/srv/mmlab-debs ./" >"$R/etc/apt/sources.list.d/mmlab.list"
elif [ -z "$(ls -A "$R$datadir" 2>/dev/null)" ]; then
  case $server in
    mysql-9.7)
      # As Debian's postinst does: root@localhost and debian-sys-maint by auth_socket.
      init=/var/lib/mysql-files/mmlab-init.sql
      cat >"$R$init" <<'SQL'
USE mysql;
INSTALL PLUGIN auth_socket SONAME 'auth_socket.so';
ALTER USER 'root'@'localhost' IDENTIFIED WITH 'auth_socket';
CREATE USER 'debian-sys-maint'@'localhost' IDENTIFIED WITH 'auth_socket' AS 'root';
GRANT ALL ON *.* TO 'debian-sys-maint'@'localhost' WITH GRANT OPTION;
SHUTDOWN;
SQL
      chroot "$R" chown mysql:mysql "$init"
      chmod 600 "$R$init"
      chroot "$R" mysqld --initialize-insecure --user=mysql --init-file="$init" >&3 2>&1 ||
        echo "$name: mysqld --initialize-insecure failed" >&3
      rm -f "$R$init"
      touch "$R/var/lib/mysql/debian-5.7.flag"
      ;;
    mariadb-11.8)
      chroot "$R" mariadb-install-db --rpm --cross-bootstrap --user=mysql --disable-log-bin --skip-test-db >&3 2>&1 ||
        echo "$name: mariadb-install-db failed" >&3
      ;;
  esac
fi
# 6. systemd as the host's init (it ignores SIGTERM: the lab stops a host with SIGKILL).
exec 3>&-
exec env -i container=mmlab PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  chroot "$R" /lib/systemd/systemd
EOF
  chmod 755 "$state/boot-sid.sh.$$"
  mv "$state/boot-sid.sh.$$" "$state/boot-sid.sh"
}

# Runs as PID 1 of the host's pid namespace, inside its own mount and uts namespaces.
write_boot_script() {
  if [ -n "$sid" ]; then
    write_sid_boot_script
    return 0
  fi
  # Written aside and renamed: another lab.sh may be starting a host from the current one.
  cat >"$state/boot.sh.$$" <<'EOF'
#!/usr/bin/env bash
set -eu
dir=$1 name=$2 debs=$3 server_packages=$4
# The host's folder may itself live under /tmp, which is replaced below: keep the log open from here on.
exec 3>>"$dir/host.log"
mount --make-rprivate /
root=
case $name in
  b*)
    # A bare host's private root: the machine's root as the lower layer, its changes in memory.
    mkdir -p "$dir/root"
    mount -t tmpfs -o mode=755 mmlab-root "$dir/root"
    mkdir -p "$dir/root/upper" "$dir/root/work" "$dir/root/merged"
    mount -t overlay mmlab-overlay -o "lowerdir=/,upperdir=$dir/root/upper,workdir=$dir/root/work" \
      "$dir/root/merged"
    root=$dir/root/merged
    mount --rbind /dev "$root/dev"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs -o mode=755 mmlab-run "$root/run"
    mkdir -p "$root/run/mysqld" "$root/srv/mmlab-debs"
    mount --bind "$debs" "$root/srv/mmlab-debs"
    ;;
  *) mount --bind "$dir/etc-mysql" /etc/mysql ;;
esac
mount --bind "$dir/lib-mysql" "$root/var/lib/mysql"
mount --bind "$dir/run-mysqld" "$root/run/mysqld"
mount --bind "$dir/log-mysql" "$root/var/log/mysql"
mount --bind "$dir/lib-mmprov" "$root/var/lib/mmprov"
mount --bind "$dir/etc-ssh" "$root/etc/ssh"
# Its own root home: the machine's shell start-up files are not the host's.
mount --bind "$dir/root-home" "$root/root"
# Private /tmp: pid namespaces hand out the same PIDs, and mysqld names its temp files after them.
mount --bind "$dir/tmp" "$root/tmp"
# Its own /run/lock: locks taken on one host must not be seen by another.
mkdir -p "$root/run/lock"
mount -t tmpfs mmlab-lock "$root/run/lock"
# Hide the machine's systemd, so 'service' inside the host drives this host's sysv script, never the machine's.
if [ -d "$root/run/systemd" ]; then mount -t tmpfs mmlab-nosystemd "$root/run/systemd"; fi
hostname "$name"
if [ -n "$root" ]; then
  # The server goes as an administrator removes it, with no service stopped or started meanwhile; the lab's
  # package source becomes the host's only one.
  exec chroot "$root" /bin/bash -c '
    set -eu
    printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    dpkg --purge --force-depends $1 >&3 2>&1
    rm -f /usr/sbin/policy-rc.d
    rm -rf /etc/apt/sources.list /etc/apt/sources.list.d/* /var/lib/apt/lists/*
    cp /srv/mmlab-debs/key.asc /etc/apt/trusted.gpg.d/mmlab.asc
    echo "deb file:/srv/mmlab-debs ./" >/etc/apt/sources.list.d/mmlab.list
    mkdir -p /run/sshd
    /usr/sbin/sshd -D -e &
    wait' bare "$server_packages"
fi
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >&3 2>&1
fi
service mariadb start >&3 2>&1 || echo "mariadb did not start: see $dir/host.log" >&3
mkdir -p /run/sshd
/usr/sbin/sshd -D -e &
wait
EOF
  chmod 755 "$state/boot.sh.$$"
  mv "$state/boot.sh.$$" "$state/boot.sh"
}

start_host() {
  local name=$1 ns=$ns_prefix$1 dir=$state/hosts/$1 addr
  addr=$(host_addr "$name")
  if host_running "$name"; then
    log "$name already running"
    return 0
  fi
  stop_host "$name" 2>/dev/null || true
  if [ -n "$sid" ]; then prepare_sid_host_dir "$name"; else prepare_host_dir "$name"; fi
  ip netns add "$ns"
  if [ -n "$sid" ]; then
    # A fixed MAC, as a machine keeps its own across reboots: a new one would leave this machine's ARP entry
    # pointing at the old link for half a minute after a reboot.
    ip link add "$ns-b" type veth peer name eth0 netns "$ns" address "$(host_mac "$name")"
  else
    ip link add "$ns-b" type veth peer name eth0 netns "$ns"
  fi
  ip link set "$ns-b" master "$(bridge_of "$name")" up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  [ "$name" != "$bastion" ] || attach_bastion_leg
  if [ -n "$sid" ]; then
    start_sid_host "$name"
    return 0
  fi
  setsid ip netns exec "$ns" unshare --mount --uts --pid --kill-child --mount-proc \
    "$state/boot.sh" "$dir" "$name" "$debs" "${server_packages[*]}" </dev/null >"$dir/boot.log" 2>&1 &
  echo $! >"$dir/pid"
  log "$name starting at $addr (pid $(cat "$dir/pid"))"
}

# The host's network namespace is up: its boot starts in a cgroup of its own (so its systemd gets its own tree
# through the cgroup namespace), then in its own mount, uts, pid and cgroup namespaces.
start_sid_host() {
  local name=$1 ns=$ns_prefix$1 dir=$state/hosts/$1 cg bare=no
  [[ $name == b* ]] && bare=yes
  mkdir -p "$cgroup_root"
  findmnt -rn "$cgroup_root" >/dev/null || mount -t cgroup2 mmlab-cgroup "$cgroup_root"
  cg=$cgroup_root/$ns
  remove_cgroup "$cg"
  mkdir "$cg"
  : >"$dir/host.log"
  setsid bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' mmlab-boot "$cg" \
    ip netns exec "$ns" unshare --cgroup --mount --uts --pid --fork --kill-child --mount-proc \
    "$state/boot-sid.sh" "$dir" "$name" "$image" "$server" "$datadir" "$bare" "$state" "${sid_server_packages[*]}" \
    </dev/null >"$dir/boot.log" 2>&1 &
  echo $! >"$dir/pid"
  log "$name starting at $(host_addr "$name") (pid $(cat "$dir/pid"), $server under systemd)"
}

# A host's cgroup tree, once no process is left in it (its systemd's sub-groups first).
remove_cgroup() {
  local cg=$1
  [ -d "$cg" ] || return 0
  [ -e "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
  for _ in $(seq 1 50); do
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ -d "$cg" ] || return 0
    sleep 0.1
  done
  log "cgroup $cg still holds processes"
}

lab_ssh() {
  local name=$1 opts
  shift
  opts=(-i "$state/id_ed25519" -o UserKnownHostsFile="$state/known_hosts" -o StrictHostKeyChecking=yes
    -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR)
  case $name in
    # Hosts behind the bastion: this machine has no route to them.
    p*) opts+=(-o "ProxyCommand=ssh ${opts[*]} -W %h:%p root@$(host_addr "$bastion")") ;;
  esac
  ssh "${opts[@]}" "root@$(host_addr "$name")" "$@"
}

write_known_hosts() {
  local dir name tmp=$state/known_hosts.tmp.$$
  : >"$tmp"
  for dir in "$state"/hosts/h* "$state"/hosts/p* "$state"/hosts/b*; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    echo "$(host_addr "$name") $(cut -d' ' -f1,2 "$dir/etc-ssh/ssh_host_ed25519_key.pub")" >>"$tmp"
  done
  mv "$tmp" "$state/known_hosts"
}

# Ansible inventories (YAML and INI) for the running hosts: usable by mmprov -i and by ansible alike.
write_inventories() {
  local names=("$@") name i=0 common
  common="-o UserKnownHostsFile=$state/known_hosts -o StrictHostKeyChecking=yes"
  {
    echo "# mmprov lab inventory (generated by lab/lab.sh)"
    echo "all:"
    echo "  vars:"
    echo "    ansible_user: root"
    echo "    ansible_ssh_private_key_file: $state/id_ed25519"
    echo "    ansible_ssh_common_args: \"$common\""
    echo "  children:"
    echo "    mmlab:"
    echo "      hosts:"
    for name in "${names[@]}"; do
      i=$((i + 1))
      echo "        $name:"
      echo "          ansible_host: $(host_addr "$name")"
      echo "          server_id: $i"
    done
    echo "    pair:"
    echo "      hosts:"
    for name in "${names[@]:0:2}"; do echo "        $name:"; done
  } >"$state/inventory.yml"
  i=0
  {
    echo "# mmprov lab inventory (generated by lab/lab.sh)"
    echo "[mmlab]"
    for name in "${names[@]}"; do
      i=$((i + 1))
      echo "$name ansible_host=$(host_addr "$name") server_id=$i"
    done
    echo
    echo "[pair]"
    for name in "${names[@]:0:2}"; do echo "$name"; done
    echo
    echo "[all:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$state/id_ed25519"
    echo "ansible_ssh_common_args='$common'"
  } >"$state/inventory.ini"
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + 90))
  until lab_ssh "$name" true 2>/dev/null; do
    host_running "$name" || die "$name: exited while booting: $(tail -n 5 "$state/hosts/$name"/*.log 2>/dev/null)"
    [ $SECONDS -lt $deadline ] || die "$name: sshd did not answer in 90 s (see $state/hosts/$name/boot.log)"
    sleep 0.2
  done
  # A bare host has no server to wait for: its sshd starts once its packages are gone.
  [[ $name == b* ]] && return 0
  until lab_ssh "$name" "$admin" --connect-timeout=2 ping >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$name: $server did not answer in 90 s (see $state/hosts/$name/*.log)"
    sleep 0.2
  done
}

behind_hosts() {
  local dir
  for dir in "$state"/hosts/p*; do
    [ -d "$dir" ] && basename "$dir"
  done | sort -V
}

# The second network: a bridge with no address in this namespace, an unreachable route so nothing here
# reaches it (nor leaves the machine for it through the default route), and the bastion's leg on it.
ensure_back_network() {
  if ! ip link show "$back_bridge" >/dev/null 2>&1; then
    ip link add "$back_bridge" type bridge
  fi
  ip route replace unreachable "$back_prefix.0/24"
  ip link set "$back_bridge" up
  attach_bastion_leg
}

# The bastion's leg on the network behind it (eth1, at .3), once that network exists: `behind` adds it to the
# running bastion, and a rebooted bastion gets it back with its namespace.
attach_bastion_leg() {
  local ns=$ns_prefix$bastion
  ip link show "$back_bridge" >/dev/null 2>&1 || return 0
  ip -n "$ns" link show eth1 >/dev/null 2>&1 && return 0
  if [ -n "$sid" ]; then
    # A fixed MAC, as for the host's front link: the hosts behind keep no stale ARP entry across its reboots.
    ip link add "$ns-p" type veth peer name eth1 netns "$ns" address "$(address_mac "$back_prefix.3")"
  else
    ip link add "$ns-p" type veth peer name eth1 netns "$ns"
  fi
  ip link set "$ns-p" master "$back_bridge" up
  ip -n "$ns" addr add "$back_prefix.3/24" dev eth1
  ip -n "$ns" link set eth1 up
}

cmd_behind() {
  local n=${1:-2} i name
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 9 ] || die "behind takes a host count 1..9"
  need_root
  host_running "$bastion" || die "the bastion $bastion is not running: run '$0 up 3' first"
  ensure_back_network
  write_boot_script
  if [ -n "$sid" ]; then
    # As `up` does: every host boots knowing its peers (the bastion and the others behind it among them).
    for i in $(seq 1 "$n"); do host_running "p$i" || prepare_sid_host_dir "p$i"; done
    write_etc_hosts
  fi
  for i in $(seq 1 "$n"); do start_host "p$i"; done
  [ -z "$sid" ] || refresh_etc_hosts
  write_known_hosts
  for i in $(seq 1 "$n"); do wait_ready "p$i"; done
  {
    echo "# mmprov lab hosts behind $bastion (generated by lab/lab.sh): reachable only through it"
    echo "[behind]"
    for name in $(behind_hosts); do echo "$name ansible_host=$(host_addr "$name") server_id=$((10 + ${name#p}))"; done
  } >"$state/behind.ini"
  log "behind $bastion ($(host_addr "$bastion")): $(behind_hosts | tr '\n' ' ')"
}

bare_hosts() {
  local dir
  for dir in "$state"/hosts/b*; do
    [ -d "$dir" ] && basename "$dir"
  done | sort -V
}

cmd_bare() {
  local name
  [ $# -ge 1 ] || die "bare takes host names b1..b9"
  for name in "$@"; do [[ "$name" =~ ^b[1-9]$ ]] || die "bare host names are b1..b9, not $name"; done
  need_root
  if [ -n "$sid" ]; then
    [ -f "$image/debs/InRelease" ] || die "no local package source in $image/debs: run '$0 install --server $server' first"
  else
    [ -f "$debs/InRelease" ] || die "no local package source in $debs: run '$0 install' first"
  fi
  host_running h1 || die "the lab is not up: run '$0 up N' first"
  write_boot_script
  for name in "$@"; do
    stop_host "$name"
    rm -rf "${state:?}/hosts/$name"
  done
  if [ -n "$sid" ]; then
    for name in "$@"; do prepare_sid_host_dir "$name"; done
    write_etc_hosts
  fi
  for name in "$@"; do start_host "$name"; done
  [ -z "$sid" ] || refresh_etc_hosts
  write_known_hosts
  for name in "$@"; do wait_ready "$name"; done
  {
    echo "# mmprov lab bare hosts (generated by lab/lab.sh): no server installed at boot"
    echo "[bare]"
    for name in $(bare_hosts); do echo "$name ansible_host=$(host_addr "$name") server_id=$((20 + ${name#b}))"; done
  } >"$state/bare.ini.$$"
  mv "$state/bare.ini.$$" "$state/bare.ini"
  log "bare: $*"
}

running_hosts() {
  local dir
  for dir in "$state"/hosts/h*; do
    [ -d "$dir" ] && basename "$dir"
  done | sort -V
}

cmd_up() {
  local n=${1:-2} i names=()
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$max_hosts" ] || die "up takes a host count 1..$max_hosts"
  need_root
  check_tools
  ensure_state
  ensure_users
  ensure_bridge
  write_boot_script
  for i in $(seq 1 "$n"); do names+=("h$i"); done
  if [ -n "$sid" ]; then
    # Every host boots knowing its peers; those already up learn of the new ones.
    for name in "${names[@]}"; do host_running "$name" || prepare_sid_host_dir "$name"; done
    write_etc_hosts
    refresh_etc_hosts
  fi
  for name in "${names[@]}"; do start_host "$name"; done
  write_known_hosts
  mapfile -t names < <(running_hosts)
  write_inventories "${names[@]}"
  local pids=() name
  for name in "${names[@]}"; do wait_ready "$name" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || die "a lab host did not become ready"; done
  log "up: ${names[*]} (inventory: $state/inventory.yml)"
}

stop_host() {
  local name=$1 ns=$ns_prefix$1 dir=$state/hosts/$1 pid
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    # A sid-family host's PID 1 is systemd, which ignores SIGTERM: SIGKILL it, and every process of its pid
    # namespace goes with it, as at a power loss.
    if [ -n "$sid" ]; then
      local pid1
      pid1=$(host_pid1 "$name") && kill -9 "$pid1" 2>/dev/null || true
    fi
    # Only the process this script started; --kill-child takes the host's PID 1 (and so the whole host) with it.
    kill "$pid" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
  if [ -n "$sid" ]; then remove_cgroup "$cgroup_root/$ns"; fi
  if ns_exists "$ns"; then
    local p
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    for _ in $(seq 1 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns del "$ns"
  fi
  ip link del "$ns-b" 2>/dev/null || true
  ip link del "$ns-p" 2>/dev/null || true
}

cmd_down() {
  need_root
  local name
  if [ -d "$state/hosts" ]; then
    for name in $(running_hosts) $(behind_hosts) $(bare_hosts); do stop_host "$name"; done
  fi
  if [ -n "$sid" ]; then
    # Only this family's namespaces: the other families' labs stay up.
    for ns in $(ip netns list | awk '{print $1}' | grep "^$ns_prefix[hpb][0-9]*\$" || true); do stop_host "${ns#"$ns_prefix"}"; done
    ip link del "$bridge" 2>/dev/null || true
    ip link del "$back_bridge" 2>/dev/null || true
    ip route del unreachable "$back_prefix.0/24" 2>/dev/null || true
    if [ -f "$state/.mmlab" ]; then rm -rf "$state"; fi
    log "down ($server)"
    return 0
  fi
  for ns in $(ip netns list | awk '{print $1}' | grep '^mmlab-[hpb]' || true); do stop_host "${ns#mmlab-}"; done
  ip link del "$bridge" 2>/dev/null || true
  ip link del "$back_bridge" 2>/dev/null || true
  ip route del unreachable "$back_prefix.0/24" 2>/dev/null || true
  if [ -f "$state/.mmlab" ]; then rm -rf "$state"; fi
  log "down"
}

cmd_status() {
  local name proc sshs db
  [ -d "$state/hosts" ] || { echo "lab: no hosts"; return 0; }
  for name in $(running_hosts) $(behind_hosts) $(bare_hosts); do
    proc=down sshs=down db=down
    host_running "$name" && proc=up
    if [ $proc = up ] && lab_ssh "$name" true 2>/dev/null; then
      sshs=up
      lab_ssh "$name" "$admin" --connect-timeout=2 ping >/dev/null 2>&1 && db=up
    fi
    printf '%-4s %-12s process=%-4s ssh=%-4s mysqld=%s\n' "$name" "$(host_addr "$name")" $proc $sshs $db
  done
}

# A power cycle: the host's processes get SIGKILL (mysqld writes nothing more), its namespace and link go,
# then it boots from the same folder, as a machine boots from its disk.
cmd_reboot() {
  local name=$1
  need_root
  [ -d "$state/hosts/$name" ] || die "no lab host $name"
  stop_host "$name"
  write_boot_script
  start_host "$name"
  wait_ready "$name"
  log "$name rebooted"
}

case "${1:-}" in
  install) if [ -n "$sid" ]; then install_image; else install_packages; fi ;;
  reboot) shift; [ $# -eq 1 ] || die "reboot takes a host name"; cmd_reboot "$1" ;;
  up) shift; cmd_up "$@" ;;
  behind) shift; cmd_behind "$@" ;;
  bare) shift; cmd_bare "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  ssh) shift; [ $# -ge 1 ] || die "ssh takes a host name"; lab_ssh "$@" ;;
  *)
    echo "usage: $0 [--server mariadb-10.11|mysql-9.7|mariadb-11.8] install | up N | behind N | bare bN... | status | down | ssh hN [CMD] | reboot hN" >&2
    exit 2
    ;;
esac
