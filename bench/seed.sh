#!/usr/bin/env bash
# Seed throughput: mmprov's streamed seed of a generated dataset (~200 MB of dump, SIZE_ROWS rows) against the
# raw `ssh h1 mysqldump | ssh h2 mysql` pipe with the same dump options, measured in the same run.
. "$(dirname "$0")/common.sh"
rows=${SIZE_ROWS:-1400000}
reset_pair
$mmprov apply playbooks/pair.yml --yes >/dev/null   # a configured, replicating pair without data
echo "bench: generating $rows rows on h1 (not replicated)" >&2
lab/lab.sh ssh h1 "mariadb -e \"SET sql_log_bin=0; CREATE DATABASE bench; \
  USE bench; CREATE TABLE t (id INT PRIMARY KEY, a CHAR(100), b VARCHAR(64)) ENGINE=InnoDB; \
  INSERT INTO t SELECT seq, REPEAT(MD5(seq), 3), MD5(RAND()) FROM seq_1_to_$rows;\""
dump="mariadb-dump --single-transaction --master-data=2 --routines --events --triggers --hex-blob --databases bench"
dump_bytes=$(lab/lab.sh ssh h1 "$dump | wc -c")
start=$(now_ms)
lab/lab.sh ssh h1 "$dump" | { printf 'SET SESSION sql_log_bin = 0;\n'; cat; } | lab/lab.sh ssh h2 mariadb
raw_ms=$(( $(now_ms) - start ))
reset_host h2   # drops the raw copy, stops h2's replication and removes its config: h2 must be seeded again
out=$($mmprov apply playbooks/pair.yml --yes)
seed_line=$(echo "$out" | grep 'seeded from h1' | tail -1)
mmprov_ms=$(echo "$seed_line" | sed -E 's/.* in ([0-9.]+) s.*/\1/' | awk '{printf "%d", $1 * 1000}')
mib=$(awk -v b="$dump_bytes" 'BEGIN {printf "%.1f", b / 1048576}')
echo "dump size: $mib MiB ($rows rows)"
echo "raw ssh pipe: $raw_ms ms ($(awk -v b="$dump_bytes" -v t="$raw_ms" 'BEGIN {printf "%.1f", b / 1048576 / (t / 1000)}') MiB/s)"
echo "mmprov seed:  $mmprov_ms ms ($(awk -v b="$dump_bytes" -v t="$mmprov_ms" 'BEGIN {printf "%.1f", b / 1048576 / (t / 1000)}') MiB/s)"
echo "throughput ratio mmprov/raw: $(awk -v r="$raw_ms" -v m="$mmprov_ms" 'BEGIN {printf "%.2f", r / m}')"
