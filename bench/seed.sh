#!/usr/bin/env bash
# Seeding a generated dataset (about 1 GB of InnoDB tables, SIZE_ROWS rows) into h2, three ways in the same run:
# the raw `ssh h1 mariadb-dump | ssh h2 mariadb` pipe with the dump options mmprov uses, mmprov's logical seed
# (`seed_method: logical`) and mmprov's physical seed (`seed_method: physical`: mariadb-backup streamed host
# to host, prepared, swapped in, the server started). mmprov's figures are its own "seeded from h1 ... in S s"
# lines: from the start of the seed until h2 has the data (and, physical, serves again). Prints the ratios;
# the target is a physical seed at least 3x faster than the raw pipe.
#
#   SIZE_ROWS=N   rows of generated data (default 5000000: about 1 GB of table data and indexes)
. "$(dirname "$0")/common.sh"
rows=${SIZE_ROWS:-5000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The lab pair's playbook with the seed method set.
book() {
  sed -e "s|^inventory: .*|inventory: $PWD/lab/.state/inventory.yml|" playbooks/pair.yml >"$work/$1.yml"
  echo "      seed_method: $1" >>"$work/$1.yml"
  echo "$work/$1.yml"
}

# Seconds (as ms) of the seed in an apply's output.
seed_ms() { grep 'seeded from h1' | tail -1 | sed -E 's/.* in ([0-9.]+) s.*/\1/' | awk '{printf "%d", $1 * 1000}'; }

reset_pair
$mmprov apply "$(book logical)" --yes >/dev/null   # a configured, replicating pair without data
echo "bench: generating $rows rows on h1 (not replicated)" >&2
lab/lab.sh ssh h1 "mariadb -e \"SET sql_log_bin=0; CREATE DATABASE bench; \
  USE bench; CREATE TABLE t (id INT PRIMARY KEY, a CHAR(100), b VARCHAR(64), KEY (b)) ENGINE=InnoDB; \
  INSERT INTO t SELECT seq, REPEAT(MD5(seq), 3), MD5(RAND()) FROM seq_1_to_$rows;\""
table_bytes=$(lab/lab.sh ssh h1 "mariadb -NBe \"SELECT SUM(data_length + index_length) FROM information_schema.TABLES \
  WHERE table_schema = 'bench'\"")
dump="mariadb-dump --single-transaction --master-data=2 --routines --events --triggers --hex-blob --databases bench"

start=$(now_ms)
lab/lab.sh ssh h1 "$dump" | { printf 'SET SESSION sql_log_bin = 0;\n'; cat; } | lab/lab.sh ssh h2 mariadb
raw_ms=$(( $(now_ms) - start ))

reset_host h2   # drops the copy, stops h2's replication and removes its config: h2 must be seeded again
logical_ms=$($mmprov apply "$(book logical)" --yes | seed_ms)

reset_host h2
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
