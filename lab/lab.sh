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
#   lab.sh behind N       raise hosts p1..pN on a second network (bridge mmlabbr1, 10.213.8.0/24) that this
#                         machine has no address on, so cannot reach; h3 (up first) gets a leg on it and is
#                         their bastion. Writes behind.ini. `lab.sh ssh pN` goes through h3.
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
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=${MMPROV_LAB_DIR:-$here/.state}
bridge=mmlabbr0
net_prefix=10.213.7
back_bridge=mmlabbr1
back_prefix=10.213.8
bastion=h3
max_hosts=60
# The server's .deb files for bare hosts, their index and the key that signs it: fetched once per machine.
debs=${MMPROV_LAB_DEBS:-/var/cache/mmlab-debs}
# What a bare host lacks: the server, client and backup packages (the libraries and common files stay).
server_packages=(mariadb-server mariadb-server-core mariadb-client mariadb-client-core mariadb-backup galera-4
  mariadb-plugin-provider-bzip2 mariadb-plugin-provider-lz4 mariadb-plugin-provider-lzma
  mariadb-plugin-provider-lzo mariadb-plugin-provider-snappy)

die() { echo "lab: $*" >&2; exit 1; }
log() { echo "lab: $*" >&2; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (namespaces, bind mounts)"; }

host_addr() {
  case $1 in
    p*) echo "$back_prefix.$((10 + ${1#p}))" ;;
    b*) echo "$net_prefix.$((200 + ${1#b}))" ;;
    *) echo "$net_prefix.$((10 + ${1#h}))" ;;
  esac
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
  (cd "$debs" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null && gzip -9kf Packages)
  gpg --homedir "$debs/gnupg" --batch --quiet --passphrase '' \
    --quick-gen-key 'mmprov lab packages <packages@mmlab.invalid>' ed25519 sign never
  gpg --homedir "$debs/gnupg" --batch --armor --export >"$debs/key.asc"
  {
    echo "Origin: mmlab"
    echo "Label: mmlab"
    echo "Date: $(LC_ALL=C date -Ru)"
    echo "SHA256:"
    for f in Packages Packages.gz; do
      echo " $(sha256sum "$debs/$f" | cut -d' ' -f1) $(stat -c %s "$debs/$f") $f"
    done
  } >"$debs/Release"
  gpg --homedir "$debs/gnupg" --batch --yes --clearsign -o "$debs/InRelease" "$debs/Release"
  echo "${want[*]}" >"$debs/wanted"
}

check_tools() {
  local t
  for t in ip unshare ssh ssh-keygen /usr/sbin/sshd mariadb-install-db mariadb-admin; do
    command -v "$t" >/dev/null 2>&1 || die "missing $t: run '$0 install' first"
  done
}

ensure_state() {
  mkdir -p "$state/hosts"
  touch "$state/.mmlab"
  [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mmprov-lab -f "$state/id_ed25519"
  # Mount points must exist in the root filesystem before they can be bound over.
  mkdir -p /etc/mysql /var/lib/mysql /var/lib/mmprov /run/mysqld /var/log/mysql /etc/ssh /run/sshd
}

# The lab's non-root logins: each with the lab key; mmlab-deploy and mmlab-sudo are sudoers.
ensure_users() {
  local user
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

host_running() {
  local dir=$state/hosts/$1 pid
  [ -f "$dir/pid" ] || return 1
  pid=$(cat "$dir/pid")
  kill -0 "$pid" 2>/dev/null && ip netns list | grep -qw "mmlab-$1"
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

# Runs as PID 1 of the host's pid namespace, inside its own mount and uts namespaces.
write_boot_script() {
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
  local name=$1 ns=mmlab-$1 dir=$state/hosts/$1 addr
  addr=$(host_addr "$name")
  if host_running "$name"; then
    log "$name already running"
    return 0
  fi
  stop_host "$name" 2>/dev/null || true
  prepare_host_dir "$name"
  ip netns add "$ns"
  ip link add "$ns-b" type veth peer name eth0 netns "$ns"
  ip link set "$ns-b" master "$(bridge_of "$name")" up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  setsid ip netns exec "$ns" unshare --mount --uts --pid --kill-child --mount-proc \
    "$state/boot.sh" "$dir" "$name" "$debs" "${server_packages[*]}" </dev/null >"$dir/boot.log" 2>&1 &
  echo $! >"$dir/pid"
  log "$name starting at $addr (pid $(cat "$dir/pid"))"
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
  until lab_ssh "$name" mariadb-admin --connect-timeout=2 ping >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$name: mariadb did not answer in 90 s (see $state/hosts/$name/*.log)"
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
  local ns=mmlab-$bastion
  if ! ip link show "$back_bridge" >/dev/null 2>&1; then
    ip link add "$back_bridge" type bridge
  fi
  ip route replace unreachable "$back_prefix.0/24"
  ip link set "$back_bridge" up
  if ! ip -n "$ns" link show eth1 >/dev/null 2>&1; then
    ip link add "$ns-p" type veth peer name eth1 netns "$ns"
    ip link set "$ns-p" master "$back_bridge" up
    ip -n "$ns" addr add "$back_prefix.3/24" dev eth1
    ip -n "$ns" link set eth1 up
  fi
}

cmd_behind() {
  local n=${1:-2} i name
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 9 ] || die "behind takes a host count 1..9"
  need_root
  host_running "$bastion" || die "the bastion $bastion is not running: run '$0 up 3' first"
  ensure_back_network
  write_boot_script
  for i in $(seq 1 "$n"); do start_host "p$i"; done
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
  [ -f "$debs/InRelease" ] || die "no local package source in $debs: run '$0 install' first"
  host_running h1 || die "the lab is not up: run '$0 up N' first"
  write_boot_script
  for name in "$@"; do
    stop_host "$name"
    rm -rf "${state:?}/hosts/$name"
    start_host "$name"
  done
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
  local name=$1 ns=mmlab-$1 dir=$state/hosts/$1 pid
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    # Only the process this script started; --kill-child takes the host's PID 1 (and so the whole host) with it.
    kill "$pid" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
  if ip netns list | grep -qw "$ns"; then
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
      lab_ssh "$name" mariadb-admin --connect-timeout=2 ping >/dev/null 2>&1 && db=up
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
  install) install_packages ;;
  reboot) shift; [ $# -eq 1 ] || die "reboot takes a host name"; cmd_reboot "$1" ;;
  up) shift; cmd_up "$@" ;;
  behind) shift; cmd_behind "$@" ;;
  bare) shift; cmd_bare "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  ssh) shift; [ $# -ge 1 ] || die "ssh takes a host name"; lab_ssh "$@" ;;
  *) echo "usage: $0 install | up N | behind N | bare bN... | status | down | ssh hN [CMD] | reboot hN" >&2; exit 2 ;;
esac
