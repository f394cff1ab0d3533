#!/usr/bin/env bash
# A planned switchover under an application writer, on the lab pair of whichever server the lab runs
# (MMPROV_LAB_DIR, as the lab tests take it; lab/.state otherwise). RUNS (default 5) switchovers, h1 and h2 in
# turn. For each:
# - an application writer (an account with INSERT and SELECT on `bench` only: no SUPER, no admin privilege)
#   writes one row every 20 ms to whichever node the file "writer" names; the play's after_switchover hook
#   rewrites that file with MMPROV_NEW_WRITER_ADDRESS. A write is acknowledged when the client exits 0;
# - a prober writes a row to each node every 20 ms (on a session of its own on each), stamped by the server (@@hostname, NOW(6)); the two lab
#   hosts share one clock, so "both nodes accepted writes at once" is read exactly from the rows:
#   the old writer's last accepted row is later than the new writer's first one.
# Reported per run: unavailability (the longest stretch with no acknowledged application write), writes
# acknowledged and lost (acknowledged but not on the new writer), and the overlap check. Then the median
# unavailability. Exits 1 when a write is lost or two writers were seen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
state=${MMPROV_LAB_DIR:-$PWD/lab/.state}
export MMPROV_LAB_DIR=$state
server=$(cat "$state/server" 2>/dev/null || echo mariadb-10.11)
runs=${RUNS:-5}
export MMPROV_REPL_PASSWORD=${MMPROV_REPL_PASSWORD:-bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')}
nice -n 10 cargo build --quiet
mmprov=$PWD/target/debug/mmprov
case $server in mysql*) client=mysql; tls=(--ssl) ;; *) client=mariadb; tls=() ;; esac

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
address() { grep -A1 "^        $1:\$" "$state/inventory.yml" | sed -n 's/.*ansible_host: //p'; }
on() { lab/lab.sh ssh "$1" "$client -NBe \"$2\""; }

h1=$(address h1)
h2=$(address h2)

playbook() {
  cat > "$work/pair.yml" <<EOF
inventory: $state/inventory.yml
plays:
  - name: pair
    hosts: pair
    vars:
      replication_password: { env: MMPROV_REPL_PASSWORD }
      writer: $1
      hooks:
        after_switchover: "echo \$MMPROV_NEW_WRITER_ADDRESS > $work/writer"
EOF
}

# The pair converged with h1 the writer, and the bench schema and account on it.
playbook h1
"$mmprov" apply --yes "$work/pair.yml" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
on h1 "DROP DATABASE IF EXISTS bench; CREATE DATABASE bench; \
  CREATE TABLE IF NOT EXISTS bench.w (seq INT PRIMARY KEY, node VARCHAR(16), ts DATETIME(6)); \
  CREATE TABLE IF NOT EXISTS bench.probe (id INT AUTO_INCREMENT PRIMARY KEY, node VARCHAR(16), ts DATETIME(6)); \
  CREATE USER IF NOT EXISTS 'benchapp'@'%' IDENTIFIED BY 'bench-app'; GRANT SELECT, INSERT ON bench.* TO 'benchapp'@'%'"
echo "$h1" > "$work/writer"
sleep 1

# The application: one persistent session per node (as a connection pool keeps them), one write every 20 ms
# sent on the session of the node the writer file names. The session answers "SEQ 1" for a committed write
# (acknowledged) and "SEQ -1" for a refused one. The prober writes a row on each node's own session each tick.
app_session() {
  mariadb "${tls[@]}" -h "$1" -u benchapp -pbench-app --force --unbuffered -NB >"$2" 2>/dev/null
}

writer_loop() {
  local seq=$1 run=$2
  exec 3> >(app_session "$h1" "$work/acks.h1.$run") 4> >(app_session "$h2" "$work/acks.h2.$run")
  while [ ! -e "$work/stop" ]; do
    seq=$((seq + 1))
    local write="INSERT INTO bench.w VALUES ($seq, @@hostname, NOW(6)); SELECT $seq, ROW_COUNT();"
    local probe="INSERT INTO bench.probe (node, ts) VALUES (@@hostname, NOW(6));"
    if [ "$(<"$work/writer")" = "$h1" ]; then echo "$write" >&3; else echo "$write" >&4; fi
    echo "$probe" >&3
    echo "$probe" >&4
    sleep 0.02
  done
  exec 3>&- 4>&-
}

gaps=()
failed=0
old=h1
for run in $(seq 1 "$runs"); do
  new=$([ "$old" = h1 ] && echo h2 || echo h1)
  new_address=$([ "$new" = h1 ] && echo "$h1" || echo "$h2")
  rm -f "$work/stop"
  start_seq=$((run * 100000))
  since=$(on "$old" "SELECT NOW(6)")
  writer_loop "$start_seq" "$run" &
  wpid=$!
  sleep 1
  playbook "$new"
  t0=$(now_ms)
  "$mmprov" apply --yes "$work/pair.yml" > "$work/apply.$run" 2>&1 || { cat "$work/apply.$run"; exit 1; }
  t1=$(now_ms)
  sleep 1
  touch "$work/stop"
  wait "$wpid" || true
  sleep 0.5
  [ "$(cat "$work/writer")" = "$new_address" ] || { echo "the hook did not name $new"; exit 1; }

  # Acknowledged: committed on one of the sessions. Unavailability: the longest stretch between two
  # committed writes, as the servers stamped them (one clock for both lab hosts).
  acked=$(cat "$work"/acks.h?."$run" | awk '$2 == 1 { print $1 }' | sort -n)
  sleep 0.5
  have=$(on "$new" "SELECT seq FROM bench.w WHERE seq > $start_seq ORDER BY seq")
  lost=$(comm -23 <(echo "$acked") <(echo "$have" | sort -n) | grep -c . || true)
  gap=$(on "$new" "SELECT UNIX_TIMESTAMP(ts) FROM bench.w WHERE seq > $start_seq ORDER BY ts" \
    | awk 'NR > 1 { d = ($1 - last) * 1000; if (d > max) max = d } { last = $1 } END { printf "%d", max }')
  [ -z "${BENCH_KEEP:-}" ] || echo "run $run: logs in $work"
  # Two writers: a row the old writer accepted later than the first row the new writer accepted.
  overlap=$(on "$new" "SELECT COUNT(*) FROM bench.probe o WHERE o.node = '$old' AND o.ts > '$since' AND o.ts > \
    (SELECT MIN(n.ts) FROM bench.probe n WHERE n.node = '$new' AND n.ts > '$since')")
  echo "run $run: $old -> $new: apply took $((t1 - t0)) ms; unavailable $gap ms; acked $(echo "$acked" | grep -c .); lost $lost; two writers: $([ "$overlap" = 0 ] && echo never || echo "YES ($overlap rows)")"
  gaps+=("$gap")
  if [ "$lost" != 0 ] || [ "$overlap" != 0 ]; then failed=1; fi
  old=$new
done
echo "median unavailability over $runs switchovers ($server): $(median "${gaps[@]}") ms"
# Leave the pair as the lab tests expect it: no bench schema nor account (dropped on the writer, replicated).
on "$old" "DROP DATABASE bench; DROP USER 'benchapp'@'%'"
exit $failed
