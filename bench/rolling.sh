#!/usr/bin/env bash
# A change that needs restarts, applied to a converged, replicating lab pair (the rolling restart: one node,
# its gate, the other node, its gate), against the floor measured in the same run: two single-node restarts
# one after the other, by hand. The target: the rolling change takes at most the two restarts plus
# catch-up. Median, min and max of N runs (N=5); each run toggles performance_schema, a static setting.
. "$(dirname "$0")/common.sh"
runs=${N:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

playbook() {
  {
    echo "inventory: $PWD/lab/.state/inventory.yml"
    echo "plays:"
    echo "  - name: rolling"
    echo "    hosts: pair"
    echo "    vars:"
    echo "      replication_password: { env: MMPROV_REPL_PASSWORD }"
    echo "      mysqld: { performance_schema: \"$1\" }"
  } >"$dir/$1.yml"
}
playbook ON
playbook OFF

reset_pair
lab/lab.sh ssh h1 "mariadb -e \"CREATE DATABASE shop; CREATE TABLE shop.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT); \
  INSERT INTO shop.t (v) VALUES (1), (2), (3)\""
$mmprov apply "$dir/OFF.yml" --yes >/dev/null || { echo "bench: converge failed" >&2; exit 1; }

rolling=(); floor=()
state=OFF
for _ in $(seq 1 "$runs"); do
  state=$([ "$state" = ON ] && echo OFF || echo ON)
  start=$(now_ms)
  out=$($mmprov apply "$dir/$state.yml" --yes) || { echo "bench: rolling apply failed" >&2; exit 1; }
  rolling+=($(( $(now_ms) - start )))
  grep -q "h1: gate passed" <<<"$out" || { echo "bench: the change did not roll" >&2; exit 1; }
  start=$(now_ms)
  lab/lab.sh ssh h1 "service mariadb restart >/dev/null"
  lab/lab.sh ssh h2 "service mariadb restart >/dev/null"
  floor+=($(( $(now_ms) - start )))
done
$mmprov verify "$dir/$state.yml" >/dev/null && verified=yes || verified=NO

summary() {
  local sorted
  sorted=$(printf '%s\n' "$@" | sort -n)
  echo "median $(median "$@") ms, min $(echo "$sorted" | head -1) ms, max $(echo "$sorted" | tail -1) ms"
}
echo "rolling change of a live pair (mmprov apply): $(summary "${rolling[@]}") (pair verified after: $verified)"
echo "floor, two single-node restarts one after the other: $(summary "${floor[@]}")"
echo "ratio (median): $(awk -v a="$(median "${rolling[@]}")" -v b="$(median "${floor[@]}")" 'BEGIN {printf "%.2f", a / b}')"
