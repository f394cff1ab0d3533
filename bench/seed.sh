#!/usr/bin/env bash
# Seeding a generated dataset (about 1 GB of InnoDB tables, SIZE_ROWS rows) into the pair's second host, three
# ways in the same run: the raw `ssh h1 mariadb-dump | ssh h2 mariadb` pipe (mysqldump and mysql on MySQL) with
# the dump options mmprov uses, mmprov's logical seed (`seed_method: logical`) and mmprov's physical seed
# (`seed_method: physical`: mariadb-backup streamed host to host, prepared, swapped in, the server started; on
# MySQL XtraBackup or the clone plugin). mmprov's figures are its own "seeded from h1 ... in S s" lines: from
# the start of the seed until the second host has the data (and, physical, serves again). Prints the ratios;
# the target is a physical seed at least 3x faster than the raw pipe.
#
#   SIZE_ROWS=N         rows of generated data (default 5000000: about 1 GB of table data and indexes)
#   MMPROV_LAB_DIR=DIR  the lab, of any server family (default lab/.state, MariaDB 10.11)
#   BENCH_HOSTS="A B"   the pair (default "h1 h2")
. "$(dirname "$0")/common.sh"
rows=${SIZE_ROWS:-5000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The lab pair's playbook with the seed method set.
book() {
  cp "$pair_book" "$work/$1.yml"
  echo "      seed_method: $1" >>"$work/$1.yml"
  echo "$work/$1.yml"
}

# Seconds (as ms) of the seed in an apply's output.
seed_ms() { grep "seeded from $first" | tail -1 | sed -E 's/.* in ([0-9.]+) s.*/\1/' | awk '{printf "%d", $1 * 1000}'; }

reset_pair
$mmprov apply "$(book logical)" --yes >/dev/null   # a configured, replicating pair without data
echo "bench: generating $rows rows on $first (not replicated)" >&2
bench_data "$first" "$rows" ", KEY (b)"
# The table's statistics brought up to date first: a table this fresh may still read as (nearly) empty.
on "$first" "ANALYZE LOCAL TABLE bench.t" >/dev/null   # LOCAL: not binary-logged
table_bytes=$(lab/lab.sh ssh "$first" "$client -NBe \"SELECT SUM(data_length + index_length) FROM information_schema.TABLES \
  WHERE table_schema = 'bench'\"")
# The replicating target already holds the source's GTIDs: MySQL's dump leaves them out.
case $client in
  mysql) dump="mysqldump --single-transaction --source-data=2 --set-gtid-purged=OFF --routines --events --triggers \
    --hex-blob --databases bench" ;;
  *) dump="mariadb-dump --single-transaction --master-data=2 --routines --events --triggers --hex-blob --databases bench" ;;
esac

start=$(now_ms)
lab/lab.sh ssh "$first" "$dump" | { printf 'SET SESSION sql_log_bin = 0;\n'; cat; } | lab/lab.sh ssh "$second" "$client"
raw_ms=$(( $(now_ms) - start ))

reset_host "$second"   # drops the copy, stops its replication and removes its config: it must be seeded again
logical_ms=$($mmprov apply "$(book logical)" --yes | seed_ms)

reset_host "$second"
physical_ms=$($mmprov apply "$(book physical)" --yes | seed_ms)
reset_pair

mib=$(awk -v b="$table_bytes" 'BEGIN {printf "%.1f", b / 1048576}')
rate() { awk -v b="$table_bytes" -v t="$1" 'BEGIN {printf "%.1f", b / 1048576 / (t / 1000)}'; }
echo "data: $mib MiB of tables and indexes ($rows rows)"
echo "raw ssh dump pipe:     $raw_ms ms ($(rate "$raw_ms") MiB/s of tables)"
echo "mmprov logical seed:   $logical_ms ms ($(rate "$logical_ms") MiB/s)"
echo "mmprov physical seed:  $physical_ms ms ($(rate "$physical_ms") MiB/s)"
echo "physical vs raw pipe: $(awk -v r="$raw_ms" -v m="$physical_ms" 'BEGIN {printf "%.2f", r / m}')x faster (target: 3x)"
echo "logical vs raw pipe:  $(awk -v r="$raw_ms" -v m="$logical_ms" 'BEGIN {printf "%.2f", r / m}')x"
