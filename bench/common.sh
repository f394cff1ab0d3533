# Shared by the bench scripts (sourced): a release build, a lab pair, and a median helper.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export MMPROV_REPL_PASSWORD=${MMPROV_REPL_PASSWORD:-bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')}
cargo build --release --locked --quiet
mmprov=target/release/mmprov
lab/lab.sh up 2 >/dev/null 2>&1

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# median of the numbers given as arguments
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Put a lab server back to a fresh Debian MariaDB: no replication, no replication account, no bench or shop
# schema, no mmprov config.
reset_host() {
  lab/lab.sh ssh "$1" "mariadb -e \"SET sql_log_bin=0; STOP SLAVE; RESET SLAVE ALL; DROP DATABASE IF EXISTS bench; \
    DROP DATABASE IF EXISTS shop; DROP DATABASE IF EXISTS mmprov; DROP USER IF EXISTS 'repl'@'10.213.7.11', 'repl'@'10.213.7.12'\" \
    && rm -f /etc/mysql/mariadb.conf.d/60-mmprov.cnf* && rm -rf /var/lib/mysql/.mmprov-old-datadir-* \
    && service mariadb restart >/dev/null"
}

reset_pair() {
  reset_host h1
  reset_host h2
}
