#!/usr/bin/env bash
# Wall time of `mmprov apply` converging a fresh lab pair with data on its first host (config written, both
# servers restarted, the second seeded from the first, both directions connected), against the floor measured
# in the same run: the two servers restarted at once by hand, plus the raw dump pipe of the same data (`ssh h1
# mariadb-dump | ssh h2 mariadb`, or mysqldump and mysql on MySQL). Median, min and max of N runs (N=5), each
# from freshly reset servers, then mmprov's median over the floor's.
#
#   SIZE_ROWS=N         rows of generated data on the first host (default 120000, about 20 MB of dump)
#   MMPROV_BASE=PATH    another mmprov binary (an older build) timed the same way in the same runs
#   MMPROV_LAB_DIR=DIR  the lab, of any server family (default lab/.state, MariaDB 10.11)
#   BENCH_HOSTS="A B"   the pair (default "h1 h2")
. "$(dirname "$0")/common.sh"
runs=${N:-5}
rows=${SIZE_ROWS:-120000}
base=${MMPROV_BASE:-}

# The raw dump of the data: the family's dump tool, its GTIDs left out on MySQL (the target's client takes the
# rows only).
case $client in
  mysql) dump="mysqldump --single-transaction --set-gtid-purged=OFF --databases bench" ;;
  *) dump="mariadb-dump --single-transaction --databases bench" ;;
esac

# One converge of a freshly reset pair with data on the first host, in ms.
converge_ms() {
  reset_pair
  bench_data "$first" "$rows"
  local start
  start=$(now_ms)
  "$1" apply "$pair_book" --yes >/dev/null || { echo "bench: $1 apply failed" >&2; exit 1; }
  echo $(( $(now_ms) - start ))
}

# The floor: both servers restarted at once, then the raw dump pipe of the same data, in ms.
floor_ms() {
  reset_pair
  bench_data "$first" "$rows"
  local start
  start=$(now_ms)
  lab/lab.sh ssh "$first" "$(restart_server)" &
  lab/lab.sh ssh "$second" "$(restart_server)" &
  wait
  lab/lab.sh ssh "$first" "$dump" | { printf 'SET SESSION sql_log_bin = 0;\n'; cat; } | lab/lab.sh ssh "$second" "$client"
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
echo "converge fresh pair ($family, $first $second) with $rows rows on $first ($runs runs):"
echo "  mmprov:                         $(summary "${mm[@]}")"
[ -n "$base" ] && echo "  $base: $(summary "${old[@]}")"
echo "  floor (parallel restarts + raw dump pipe): $(summary "${floor[@]}")"
echo "  mmprov above the floor (medians): $(( $(median "${mm[@]}" | cut -d. -f1) - $(median "${floor[@]}" | cut -d. -f1) )) ms, \
$(awk -v m="$(median "${mm[@]}")" -v f="$(median "${floor[@]}")" 'BEGIN {printf "%.2f", m / f}')x the floor"
