#!/usr/bin/env bash
# Adding a third node to a live pair: h1 and h2 replicate a generated dataset (SIZE_ROWS rows) while a writer
# inserts on h1 in fresh sessions; one `mmprov apply` of the playbook with h3 added seeds h3 (SEED_METHOD),
# connects it to h2 at the seed's GTID position, moves h1 onto h3 with its position kept, grows
# auto_increment_increment from 2 to 4 and opens h3 once h1's older sessions have ended. Prints the apply's
# time (from the command's start until the ring is replicating and h3 is open), the seed's share of it, the
# rows written meanwhile, and checks that every node ends with every row.
#
#   SIZE_ROWS=N      rows of generated data (default 1000000: about 210 MB of tables and indexes)
#   SEED_METHOD=M    physical (default) or logical
. "$(dirname "$0")/common.sh"
rows=${SIZE_ROWS:-1000000}
method=${SEED_METHOD:-physical}
work=$(mktemp -d)
trap 'lab/lab.sh ssh h1 "touch /tmp/mmprov-bench-stop" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
lab/lab.sh up 3 >/dev/null 2>&1

# The lab pair's playbook on `hosts`, the seed method set.
book() {
  sed -e "s|^inventory: .*|inventory: $PWD/lab/.state/inventory.yml|" -e "s|hosts: pair|hosts: $1|" \
    playbooks/pair.yml >"$work/$2.yml"
  echo "      seed_method: $method" >>"$work/$2.yml"
  echo "$work/$2.yml"
}

seed_ms() { grep 'seeded from h1' | tail -1 | sed -E 's/.* in ([0-9.]+) s.*/\1/' | awk '{printf "%d", $1 * 1000}'; }
count() { lab/lab.sh ssh "$1" "mariadb -NBe 'SELECT COUNT(*) FROM bench.t'"; }

reset_pair
reset_host h3
lab/lab.sh ssh h3 "mariadb -e \"DROP USER IF EXISTS 'repl'@'10.213.7.11', 'repl'@'10.213.7.12'\"; \
  rm -rf /var/lib/mmprov/*"
for h in h1 h2; do lab/lab.sh ssh "$h" "mariadb -e \"DROP USER IF EXISTS 'repl'@'10.213.7.13'\""; done
echo "bench: generating $rows rows on h1, then the pair" >&2
lab/lab.sh ssh h1 "mariadb -e \"SET sql_log_bin=0; CREATE DATABASE bench; \
  USE bench; CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, a CHAR(100), b VARCHAR(64), KEY (b)) ENGINE=InnoDB; \
  INSERT INTO t (a, b) SELECT REPEAT(MD5(seq), 3), MD5(RAND()) FROM seq_1_to_$rows;\""
$mmprov apply "$(book pair pair)" --yes >/dev/null
table_bytes=$(lab/lab.sh ssh h1 "mariadb -NBe \"SELECT SUM(data_length + index_length) FROM information_schema.TABLES \
  WHERE table_schema = 'bench'\"")

# The writer: one insert per session on h1 until told to stop.
lab/lab.sh ssh h1 "rm -f /tmp/mmprov-bench-stop"
lab/lab.sh ssh h1 "while [ ! -e /tmp/mmprov-bench-stop ]; do \
  mariadb -e \"INSERT INTO bench.t (a, b) VALUES ('live', 'live')\"; done" &
writer=$!
sleep 1
before=$(count h1)
start=$(now_ms)
$mmprov apply "$(book h1:h2:h3 ring)" --yes >"$work/apply.log"
grow_ms=$(( $(now_ms) - start ))
lab/lab.sh ssh h1 "touch /tmp/mmprov-bench-stop"
wait "$writer"
seeded_ms=$(seed_ms <"$work/apply.log")
total=$(count h1)
for h in h2 h3; do
  for _ in $(seq 1 100); do [ "$(count "$h")" = "$total" ] && break; sleep 0.2; done
  [ "$(count "$h")" = "$total" ] || { echo "bench: $h holds $(count "$h") rows, h1 $total" >&2; exit 1; }
done
if ! $mmprov plan "$(book h1:h2:h3 ring)" --detailed-exitcode >/dev/null; then
  echo "bench: the ring does not re-plan to No changes" >&2
  exit 1
fi
reset_pair
reset_host h3

mib=$(awk -v b="$table_bytes" 'BEGIN {printf "%.1f", b / 1048576}')
echo "data: $mib MiB of tables and indexes ($rows rows), seed_method: $method"
echo "add h3 to the live pair (one apply): $grow_ms ms"
echo "  of which the seed:                  $seeded_ms ms"
echo "rows written on h1 meanwhile: $(( total - before )); every node holds all $total"
