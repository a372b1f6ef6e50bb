#!/usr/bin/env bash
# Server CPU per durable POST /api/sessions of two builds of sessionlog, interleaved:
#
#   bash bench/ab-post.sh A_DIR B_DIR [ROUNDS=40] [SECONDS=2]
#
# A_DIR and B_DIR are built checkouts (`npm ci && npm run build`, or a copy of bin/, dist/ and
# package.json beside a node_modules). Each serves a fresh log on a loopback port; rounds of
# autocannon (50 connections) alternate between them, A first in odd rounds and B first in
# even ones, and the server's CPU (all threads, /proc/<pid>/stat) is divided by the requests it
# answered. Prints each round, then the median of B/A over the rounds and its 90 % interval
# (bench/ab-summary.ts): on a noisy machine, a ratio of paired rounds is the figure, not a time.
set -euo pipefail
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); rounds=${3:-40}; secs=${4:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/sessionlog-ab-XXXXXX)
mkdir -p "$work/cwd"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
for v in A B; do
  if [ "$v" = A ]; then dir=$a; port=3911; else dir=$b; port=3912; fi
  node "$dir/bin/sessionlog.js" serve --db "$work/$v.db" --port "$port" --create-rate 0 \
    --log-level info 2>"$work/$v.log" >/dev/null &
  pids+=($!)
done
pid_a=${pids[0]}; pid_b=${pids[1]}
sleep 2
body="{\"cwd\":\"$work/cwd\",\"name\":\"bench\"}"
load() { # PORT SECONDS → requests answered
  "$here/node_modules/.bin/autocannon" -c 50 -d "$2" -m POST -H content-type=application/json \
    -b "$body" "http://127.0.0.1:$1/api/sessions" -j 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const j=JSON.parse(s);if(j.non2xx+j.errors>0)process.exit(1);console.log(j.requests.total)})'
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
load 3911 2 >/dev/null; load 3912 2 >/dev/null
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then order="A B"; else order="B A"; fi
  for v in $order; do
    if [ "$v" = A ]; then pid=$pid_a; port=3911; else pid=$pid_b; port=3912; fi
    t0=$(ticks "$pid"); n=$(load "$port" "$secs"); t1=$(ticks "$pid")
    echo "$r $v $(( (t1 - t0) * 1000000 / hz / n ))"
  done
done | tee "$work/results"
"$here/node_modules/.bin/tsx" "$here/bench/ab-summary.ts" "$work/results"
