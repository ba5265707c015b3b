#!/usr/bin/env bash
# Training throughput of a web run watched by two browsers, against the same run from the command line, on this
# machine, alternating CLI / web so that both see the same conditions. Called by `./webgen bench web`.
#   usage: web-throughput.sh CLI_DLL WEBAPP_DLL DATA_DIR [ITERATIONS] [ROUNDS]   (WEBGEN_BENCH_BROWSERS=2 watchers,
#   WEBGEN_BENCH_POLL=2 seconds between looks at the web run)
set -euo pipefail
cli=$1 webapp=$2 data=$3 iterations=${4:-3000} rounds=${5:-2} watchers=${WEBGEN_BENCH_BROWSERS:-2}
port=${WEBGEN_BENCH_PORT:-5187}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
server="" browsers=()
cleanup() {
  for pid in "${browsers[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work"; }
}
trap cleanup EXIT
say() { printf '[bench web] %s\n' "$*" >&2; }
number() { sed -nE "s/.*\"$1\": ?([0-9.eE+-]+).*/\1/p" | head -n 1; } # number KEY < JSON

say "starting the web app on $base (database and runs in $work)"
(cd "$(dirname "${BASH_SOURCE[0]}")/../../WebApp" && exec dotnet "$webapp" --urls "$base" --WebGen:DataFolder "$data" \
  --WebGen:RunsFolder "$work/runs" --ConnectionStrings:Runs "Data Source=$work/web.db" ${WEBGEN_BENCH_SERVER_ARGS:-} >"$work/server.log" 2>&1) &
server=$!
for _ in $(seq 1 120); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "$base/healthz" >/dev/null || { cat "$work/server.log" >&2; say "the web app did not start"; exit 1; }

cli_run() { # prints ms/step of a CLI run
  dotnet "$cli" train vae --iterations "$iterations" --device cpu --data "$data" --out "$work/cli" --json 2>/dev/null \
    | tail -n 1 | number ms_per_step
}

web_run() { # prints ms/step of a web run while two headless Chromium pages watch it
  local id state step sps i
  id=$(curl -fsS -H 'Content-Type: application/json' -d "{\"model\":\"vae\",\"iterations\":$iterations,\"device\":\"cpu\"}" \
    "$base/api/runs" | sed -nE 's/^\[\{"id":"([^"]+)".*/\1/p')
  [ -n "$id" ] || { say "could not create a web run"; exit 1; }
  for i in $(seq 1 "$watchers"); do
    # On this machine the browsers share the cores with the server, as they would not in a class (they run on the
    # students' machines). Lowering their priority is no way out: a nice value does not hold (Chromium running as
    # root sets its renderers to nice -8), and under SCHED_IDLE they starve and never show the run (their titles
    # stay empty), which the title check below catches.
    chromium --headless=new --no-sandbox --disable-gpu --remote-debugging-port=$((port + i)) --user-data-dir="$work/browser-$i" \
      "$base/runs/$id" >/dev/null 2>&1 &
    browsers+=($!)
  done
  while :; do
    state=$(curl -fsS "$base/api/runs/$id")
    step=$(number step <<<"$state")
    case "$state" in *'"status":"failed"'*) say "web run failed: $state"; exit 1 ;; esac
    [ "${step:-0}" = "$iterations" ] && break
    # Every poll forks curl, sed and awk beside the training threads: on two cores that alone cost the web run 10-20 %
    # (measured), so the script looks rarely; the pace is the trainer's own clock, not the polling.
    # Each browser's tab title carries the run's percentage: collect the ones it shows, to prove it watched live.
    for i in $(seq 1 "$watchers"); do
      curl -fsS "http://127.0.0.1:$((port + i))/json/list" 2>/dev/null | grep -o '"title": "[0-9]* %' >>"$work/titles-$i" || true
    done
    sleep "${WEBGEN_BENCH_POLL:-2}"
  done
  for i in $(seq 1 "$watchers"); do sort -u "$work/titles-$i" 2>/dev/null | wc -l >>"$work/seen"; rm -f "$work/titles-$i"; done
  sps=$(number stepsPerSecond <<<"$state")
  curl -fsS -X POST "$base/api/runs/$id/cancel" >/dev/null || true # skip its evaluation: only training is timed
  for pid in "${browsers[@]}"; do kill "$pid" 2>/dev/null || true; done
  browsers=()
  awk -v s="$sps" 'BEGIN { printf "%.3f\n", 1000 / s }'
}

cli_times=() web_times=()
touch "$work/seen"
for round in $(seq 1 "$rounds"); do
  say "round $round/$rounds: CLI run of $iterations VAE steps"
  cli_times+=("$(cli_run)")
  say "round $round/$rounds: web run of $iterations VAE steps, $watchers browsers watching"
  web_times+=("$(web_run)")
  say "round $round/$rounds: CLI ${cli_times[-1]} ms/step, web ${web_times[-1]} ms/step; progress titles each browser showed: $(tail -n "$watchers" "$work/seen" | paste -sd ' ')"
done
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }
cli_mean=$(mean "${cli_times[@]}") web_mean=$(mean "${web_times[@]}")
ratio=$(awk -v w="$web_mean" -v c="$cli_mean" 'BEGIN { printf "%.4f", w / c }')
printf 'VAE training, %s steps x %s rounds: CLI %s ms/step, web with %s browsers watching %s ms/step, ratio %s (%+.1f %%)\n' \
  "$iterations" "$rounds" "$cli_mean" "$watchers" "$web_mean" "$ratio" "$(awk -v r="$ratio" 'BEGIN { print 100 * (r - 1) }')"
printf '{"iterations": %s, "rounds": %s, "browsers": %s, "cli_ms_per_step": [%s], "web_ms_per_step": [%s], "browser_progress_titles": [%s], "cli_mean": %s, "web_mean": %s, "ratio": %s}\n' \
  "$iterations" "$rounds" "$watchers" \
  "$(IFS=,; echo "${cli_times[*]}")" "$(IFS=,; echo "${web_times[*]}")" "$(paste -sd , "$work/seen")" "$cli_mean" "$web_mean" "$ratio"
