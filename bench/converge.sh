#!/usr/bin/env bash
# Wall time of `mmprov apply` converging a fresh lab pair with data on h1 (config written, both servers
# restarted, h2 seeded from h1, both directions connected), against the floor measured in the same run: the
# two servers restarted at once by hand, plus the raw `ssh h1 mariadb-dump | ssh h2 mariadb` pipe of the
# same data. Median, min and max of N runs (N=5), each from freshly reset servers.
#
#   SIZE_ROWS=N         rows of generated data on h1 (default 120000, about 20 MB of dump)
#   MMPROV_BASE=PATH    another mmprov binary (an older build) timed the same way in the same runs
. "$(dirname "$0")/common.sh"
runs=${N:-5}
rows=${SIZE_ROWS:-120000}
base=${MMPROV_BASE:-}

data_on_h1() {
  lab/lab.sh ssh h1 "mariadb -e \"SET sql_log_bin=0; CREATE DATABASE bench; \
    USE bench; CREATE TABLE t (id INT PRIMARY KEY, a CHAR(100), b VARCHAR(64)) ENGINE=InnoDB; \
    INSERT INTO t SELECT seq, REPEAT(MD5(seq), 3), MD5(RAND()) FROM seq_1_to_$rows;\""
}

# One converge of a freshly reset pair with data on h1, in ms.
converge_ms() {
  reset_pair
  data_on_h1
  local start
  start=$(now_ms)
  "$1" apply playbooks/pair.yml --yes >/dev/null || { echo "bench: $1 apply failed" >&2; exit 1; }
  echo $(( $(now_ms) - start ))
}

# The floor: both servers restarted at once, then the raw dump pipe of the same data, in ms.
floor_ms() {
  reset_pair
  data_on_h1
  local start dump
  dump="mariadb-dump --single-transaction --databases bench"
  start=$(now_ms)
  lab/lab.sh ssh h1 "service mariadb restart >/dev/null" &
  lab/lab.sh ssh h2 "service mariadb restart >/dev/null" &
  wait
  lab/lab.sh ssh h1 "$dump" | { printf 'SET SESSION sql_log_bin = 0;\n'; cat; } | lab/lab.sh ssh h2 mariadb
  echo $(( $(now_ms) - start ))
}

summary() {
  local sorted
  sorted=$(printf '%s\n' "$@" | sort -n)
  echo "median $(median "$@") ms, min $(echo "$sorted" | head -1) ms, max $(echo "$sorted" | tail -1) ms"
}

mm=(); floor=(); old=()
for _ in $(seq "$runs"); do
  mm+=($(converge_ms "$mmprov"))
  floor+=($(floor_ms))
  if [ -n "$base" ]; then old+=($(converge_ms "$base")); fi
done
reset_pair
echo "converge fresh pair with $rows rows on h1 ($runs runs):"
echo "  mmprov:                         $(summary "${mm[@]}")"
[ -n "$base" ] && echo "  $base: $(summary "${old[@]}")"
echo "  floor (parallel restarts + raw dump pipe): $(summary "${floor[@]}")"
echo "  mmprov above the floor (medians): $(( $(median "${mm[@]}" | cut -d. -f1) - $(median "${floor[@]}" | cut -d. -f1) )) ms"
