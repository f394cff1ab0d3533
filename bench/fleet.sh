#!/usr/bin/env bash
# Fleet: 16 pairs (32 lab hosts) converged from fresh servers in one apply, against one pair alone.
# Prints both wall times and their ratio, and the fleet against the bare restart floor of the same servers
# (target: at most 1.15x). PAIRS=16, N=3 rounds by default.
. "$(dirname "$0")/common.sh"
pairs=${PAIRS:-16}
hosts=$((pairs * 2))
lab/lab.sh up "$hosts" >/dev/null 2>&1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# One playbook per size: a play per pair (h1:h2, h3:h4, ...), each seeding nothing (fresh servers).
write_playbook() {
  local count=$1 file=$2 k
  {
    echo "inventory: $PWD/lab/.state/inventory.yml"
    echo "plays:"
    for k in $(seq 1 "$count"); do
      echo "  - name: pair $k"
      echo "    hosts: h$((2 * k - 1)):h$((2 * k))"
      echo "    vars:"
      echo "      replication_password: { env: MMPROV_REPL_PASSWORD }"
    done
  } >"$file"
}

# Each host back to a fresh server: no replication, no replication account, no application schema, no
# mmprov config.
reset_hosts() {
  local n=$1 i pids=()
  for i in $(seq 1 "$n"); do
    lab/lab.sh ssh "h$i" "mariadb -e \"SET sql_log_bin=0; STOP SLAVE; RESET SLAVE ALL; \
      DELETE FROM mysql.global_priv WHERE User = 'repl'; FLUSH PRIVILEGES\" \
      && for db in \$(mariadb -NBe \"SELECT schema_name FROM information_schema.schemata WHERE schema_name \
           NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')\"); do \
           mariadb -e \"SET sql_log_bin=0; DROP DATABASE \\\`\$db\\\`\"; done \
      && rm -rf /etc/mysql/mariadb.conf.d/60-mmprov.cnf* /var/lib/mmprov/* && service mariadb restart >/dev/null" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

timed_apply() {
  local file=$1 start
  start=$(now_ms)
  $mmprov apply "$file" --yes --forks 64 >/dev/null || { echo "bench: apply of $file failed" >&2; return 1; }
  echo $(( $(now_ms) - start ))
}

write_playbook 1 "$dir/one.yml"
write_playbook "$pairs" "$dir/fleet.yml"
# The floor on this machine: every lab server restarted at once, by hand. All lab hosts share this machine's
# cores, so their restarts (the bulk of a converge) compete for CPU in a way separate machines would not.
restart_all() {
  local n=$1 i pids=() start
  start=$(now_ms)
  for i in $(seq 1 "$n"); do
    lab/lab.sh ssh "h$i" "service mariadb restart >/dev/null" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  echo $(( $(now_ms) - start ))
}
# Rounds alternate the fleet's converge and its floor, so both see the same machine; medians are compared.
rounds=${N:-3}
one=(); fleet=(); floor_one=(); floor_fleet=()
for _ in $(seq 1 "$rounds"); do
  reset_hosts 2
  one+=("$(timed_apply "$dir/one.yml")") || exit 1
  floor_one+=("$(restart_all 2)")
  reset_hosts "$hosts"
  fleet+=("$(timed_apply "$dir/fleet.yml")") || exit 1
  floor_fleet+=("$(restart_all "$hosts")")
done
$mmprov verify "$dir/fleet.yml" >/dev/null && verified=yes || verified=NO
one_ms=$(median "${one[@]}"); fleet_ms=$(median "${fleet[@]}")
floor_one_ms=$(median "${floor_one[@]}"); floor_fleet_ms=$(median "${floor_fleet[@]}")
echo "medians of $rounds rounds: one pair $one_ms ms; $pairs pairs ($hosts hosts) in one apply $fleet_ms ms \
(runs: ${fleet[*]}); ratio $(awk -v a="$fleet_ms" -v b="$one_ms" 'BEGIN {printf "%.2f", a / b}') (fleet verified: $verified)"
echo "bare restarts in parallel: 2 servers $floor_one_ms ms, $hosts servers $floor_fleet_ms ms (runs: ${floor_fleet[*]})"
echo "fleet against its floor: $(awk -v a="$fleet_ms" -v b="$floor_fleet_ms" 'BEGIN {printf "%.2f", a / b}') \
(target: at most 1.15; fresh pairs restart in parallel)"
