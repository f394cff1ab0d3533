# Shared by the bench scripts (sourced): a release build, a lab pair, and a median helper.
#
# The lab is the one MMPROV_LAB_DIR names (as the lab tests take it; lab/.state otherwise), of whichever server
# family it runs (lab.sh up --server records it). The pair is BENCH_HOSTS (default "h1 h2"): a pair of its own
# ("h4 h5") leaves h1..h3 to whatever else uses the lab. `$pair_book` is playbooks/pair.yml on that lab and
# pair; the first host is the one that holds the data.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lab_dir=${MMPROV_LAB_DIR:-$PWD/lab/.state}
export MMPROV_LAB_DIR=$lab_dir
family=$(cat "$lab_dir/server" 2>/dev/null || echo mariadb-10.11)
case $family in mysql*) client=mysql ;; *) client=mariadb ;; esac
read -r first second <<<"${BENCH_HOSTS:-h1 h2}"
export MMPROV_REPL_PASSWORD=${MMPROV_REPL_PASSWORD:-bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')}
nice -n 10 cargo build --release --locked --quiet
mmprov=target/release/mmprov
highest=$(printf '%s\n' "${first#h}" "${second#h}" 2 | sort -n | tail -1)
lab/lab.sh up "$highest" >/dev/null 2>&1

mkdir -p target/bench
pair_book=$PWD/target/bench/pair-$family-$first-$second.yml
sed -e "s|^inventory: .*|inventory: $lab_dir/inventory.yml|" -e "s|hosts: pair|hosts: $first:$second|" \
  -e "s|server_version: .*|server_version: $family|" playbooks/pair.yml >"$pair_book"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# median of the numbers given as arguments
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# SQL on a lab host, through its server's own client.
on() { lab/lab.sh ssh "$1" "$client -e \"$2\""; }

# The shell command that restarts a lab host's server: through systemd where it runs (the sid families' hosts),
# the init script otherwise.
restart_server() {
  local unit=mariadb
  [ "$client" = mysql ] && unit=mysql
  echo "if [ -d /run/systemd/system ]; then systemctl restart $unit; else service $unit restart >/dev/null; fi"
}

# Put a lab server back to a fresh Debian server of its family: no replication, no binary logs or GTIDs, no
# replication account, no bench or shop schema, no mmprov config or state.
reset_host() {
  local accounts stop forget reset logs
  accounts=$(sed -n "s/.*ansible_host: \(.*\)/'repl'@'\1'/p" "$lab_dir/inventory.yml" | paste -sd, -)
  if [ "$client" = mysql ]; then
    # A node left read-only (super_read_only) would refuse the rest.
    stop="SET GLOBAL super_read_only = OFF; STOP REPLICA" forget="RESET REPLICA ALL" reset="RESET BINARY LOGS AND GTIDS"
  else
    stop="STOP SLAVE" forget="RESET SLAVE ALL; SET GLOBAL gtid_slave_pos = ''" reset="RESET MASTER"
  fi
  # Emptied under mmprov's config and again under the server's own: logs left under either basename would
  # bring their GTIDs back at the next start that uses it.
  logs="if [ \"\$($client -NBe 'SELECT @@log_bin')\" = 1 ]; then $client -e '$reset'; fi"
  lab/lab.sh ssh "$1" "$client -e \"SET sql_log_bin=0; $stop; $forget; DROP DATABASE IF EXISTS bench; \
    DROP DATABASE IF EXISTS shop; DROP DATABASE IF EXISTS mmprov; DROP USER IF EXISTS $accounts\" && $logs \
    && rm -f /etc/mysql/mariadb.conf.d/60-mmprov.cnf* /etc/mysql/mysql.conf.d/zz-mmprov.cnf* \
    && rm -rf /var/lib/mysql/.mmprov-old-datadir-* /var/lib/mariadb/.mmprov-old-datadir-* /var/lib/mmprov/* \
    && { $(restart_server); } && $logs"
}

reset_pair() {
  reset_host "$first"
  reset_host "$second"
}

# ROWS rows of generated data on a host, not binary-logged: database bench, table t (id, a, b) and whatever
# else the table definition gets (", KEY (b)"): a 96 hex digits, b 32 random ones. The numbers come from
# MariaDB's sequence engine, or on MySQL from a recursive CTE; the digits from SHA2, which every family has
# (MySQL 9.7 has no MD5).
bench_data() {
  local numbers=seq_1_to_$2 depth=
  if [ "$client" = mysql ]; then
    depth="SET SESSION cte_max_recursion_depth = $2;"
    numbers="(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < $2) SELECT seq FROM s) AS numbers"
  fi
  on "$1" "SET sql_log_bin=0; $depth CREATE DATABASE bench; USE bench; \
    CREATE TABLE t (id INT PRIMARY KEY, a CHAR(100), b VARCHAR(64)${3:-}) ENGINE=InnoDB; \
    INSERT INTO t SELECT seq, REPEAT(LEFT(SHA2(seq, 256), 32), 3), LEFT(SHA2(RAND(), 256), 32) FROM $numbers;"
}
