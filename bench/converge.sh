#!/usr/bin/env bash
# Wall time of `mmprov apply` converging a fresh lab pair (config written, both servers restarted):
# median, min and max of N runs (N=3), each from freshly reset servers.
. "$(dirname "$0")/common.sh"
runs=${N:-3}
times=()
for _ in $(seq "$runs"); do
  reset_pair
  start=$(now_ms)
  $mmprov apply playbooks/pair.yml --yes >/dev/null
  times+=($(( $(now_ms) - start )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "converge fresh pair: median $(median "${times[@]}") ms, min $(echo "$sorted" | head -1) ms, max $(echo "$sorted" | tail -1) ms ($runs runs)"
