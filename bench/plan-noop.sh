#!/usr/bin/env bash
# Wall time of a no-op `mmprov plan` on a converged lab pair: median, min and max of N runs (N=15).
#
#   MMPROV_LAB_DIR=DIR  the lab, of any server family (default lab/.state, MariaDB 10.11)
#   BENCH_HOSTS="A B"   the pair (default "h1 h2")
. "$(dirname "$0")/common.sh"
runs=${N:-15}
$mmprov apply "$pair_book" --yes >/dev/null
times=()
for _ in $(seq "$runs"); do
  start=$(now_ms)
  $mmprov plan "$pair_book" --detailed-exitcode >/dev/null || { echo "bench: the pair is not converged" >&2; exit 1; }
  times+=($(( $(now_ms) - start )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "no-op plan, 2 hosts ($family): median $(median "${times[@]}") ms, min $(echo "$sorted" | head -1) ms, max $(echo "$sorted" | tail -1) ms ($runs runs)"
