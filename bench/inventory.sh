#!/usr/bin/env bash
# Loading and resolving big inventories: 100,000 hosts (HOSTS) in 3 groups, each host with 3 variables, as INI
# and as YAML; a playbook whose play selects two of them by pattern. Wall time of `mmprov validate` (load,
# resolve every host's variables, select the play's hosts, check it), release build: median, min and max of
# N runs (N=5). Target: under 1 s.
#
#   MMPROV_BASE=PATH    another mmprov binary (an older build) timed the same way on the same files
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${HOSTS:-100000}
runs=${N:-5}
cargo build --release --locked --quiet
mmprov=target/release/mmprov
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

python3 - "$dir" "$hosts" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
groups = ["east", "west", "north"]
with open(f"{d}/hosts.ini", "w") as f:
    for gi, g in enumerate(groups):
        f.write(f"[{g}]\n")
        for i in range(gi, n, 3):
            f.write(f"db{i} ansible_host=10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} server_id={i + 1} rack=r{i % 40}\n")
    f.write("[all:vars]\nansible_user=deploy\n")
with open(f"{d}/hosts.yml", "w") as f:
    f.write("all:\n  vars:\n    ansible_user: deploy\n  children:\n")
    for gi, g in enumerate(groups):
        f.write(f"    {g}:\n      hosts:\n")
        for i in range(gi, n, 3):
            f.write(f"        db{i}: {{ansible_host: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}, server_id: {i + 1}, rack: r{i % 40}}}\n")
for kind in ("ini", "yml"):
    with open(f"{d}/{kind}.yml", "w") as f:
        f.write(f"inventory: hosts.{kind}\nplays:\n  - name: pair\n    hosts: east:&db0:db3\n    roles: [server]\n"
                "    vars:\n      server_version: mariadb-10.11\n")
PY
# Times of `validate` with binary $1 on inventory kind $2; "failed" when it refuses the inventory.
timed() {
  local times=() start sorted
  for _ in $(seq "$runs"); do
    start=$(now_ms)
    timeout 300 "$1" validate "$dir/$2.yml" >/dev/null 2>&1 || { echo "failed (or over 300 s)"; return; }
    times+=($(( $(now_ms) - start )))
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  echo "median $(median "${times[@]}") ms, min $(echo "$sorted" | head -1) ms, max $(echo "$sorted" | tail -1) ms"
}
for kind in ini yml; do
  size=$(du -h "$dir/hosts.$kind" | cut -f1)
  echo "$hosts hosts, $kind ($size): $(timed "$mmprov" "$kind") (target: under 1000 ms)"
  [ -n "${MMPROV_BASE:-}" ] && echo "  $MMPROV_BASE: $(timed "$MMPROV_BASE" "$kind")"
done
