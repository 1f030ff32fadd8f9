#!/usr/bin/env bash
# The README's test command (`npm test`): every test: unit, integration (on PostgreSQL, the PGlite compatibility suites on
# both databases) and end-to-end.
# One layer: `bash scripts/test.sh unit|integration|e2e` (npm run test:unit, test:integration, test:e2e).
# Anything after the layer goes to node's test runner, e.g. `npm run test:unit -- --test-name-pattern=DASH`.
set -euo pipefail
cd "$(dirname "$0")/.."
layer=all
case "${1:-}" in
  all | unit | integration | e2e)
    layer=$1
    shift
    ;;
esac
# The project's pinned Node.js (the npm `node` package, ADR 0009) comes first, however this script was started.
export PATH="$PWD/node_modules/.bin:$PATH"

# System packages the tests drive: Debian's Chromium (end-to-end), ffmpeg/ffprobe (recordings, working copies) and a font.
missing=()
[ -x "${RVR_CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
# The court working copy burns the time into the picture with this font (src/platform/media/working-copy.ts).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} from Debian's packages..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The tests need ${missing[*]}. Install them, then run npm test again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ]; then
  echo "Dependencies are not installed. Run: npm ci" >&2
  exit 1
fi

echo "Testing on Node.js $(node --version) ($(command -v node))"
unit_files=()
integration_files=()
browser_files=()
# Unit: src/**/*.test.ts (pure rules and single modules). Integration: test/**/*.test.ts. End-to-end: e2e/**/*.test.ts.
if [ "$layer" = all ] || [ "$layer" = unit ]; then
  mapfile -t unit_files < <(find src -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi
if [ "$layer" = all ] || [ "$layer" = integration ]; then
  mapfile -t integration_files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi
if [ "$layer" = all ] || [ "$layer" = e2e ]; then
  mapfile -t browser_files < <(find e2e -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi
# End-to-end files are split: the ones that start no video call (sign-in, SSO, control room) and the ones that open
# a call page (even with one person on it). Two calls at once on a 2-core machine starve the media (packet loss,
# frozen decoders, timeouts) and fail calls that are fine, so a call file always runs alone.
browser_without_calls=()
browser_with_calls=()
for file in "${browser_files[@]}"; do
  if grep -qE "support/(call|poor-connection)\.js|waitForDecodedVideo" "$file"; then browser_with_calls+=("$file"); else browser_without_calls+=("$file"); fi
done
# Longest files first, so that no long file starts last and runs on alone while the other processes are idle (measured
# per file in ADR 0011, "Sixth session"; the end-to-end files without calls take 19-23 s each, and come next).
slow_first=(
  test/integration/server-process.test.ts
  test/integration/object-access-matrix.test.ts
  test/integration/cli.test.ts
)
then_first=(
  test/integration/evidence-redaction.test.ts
  test/integration/media-tools.test.ts
  test/integration/pg-boss-upgrade.test.ts
  test/integration/audit-database-roles.test.ts
  test/integration/evidence.test.ts
  test/integration/risk-assessment.test.ts
)
# The files of a list that this run includes, in the list's order.
included() {
  for file in "$@"; do
    if [[ " ${integration_files[*]} " == *" $file "* ]]; then echo "$file"; fi
  done
}
mapfile -t first < <(included "${slow_first[@]}")
mapfile -t next < <(included "${then_first[@]}")
rest_integration=()
for file in "${integration_files[@]}"; do
  if [[ " ${first[*]} ${next[*]} " != *" $file "* ]]; then rest_integration+=("$file"); fi
done
status=0
# This (sub)shell and everything it starts from now on at the idle scheduling class, for the processors and for the
# disk where the system allows it (the disk class counts only under the BFQ I/O scheduler; these machines have none).
in_background() {
  chrt --idle --pid 0 "$BASHPID" 2>/dev/null || renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true
  ionice -c 3 -p "$BASHPID" 2>/dev/null || true
}
# One lane: node's test runner over some files, its output prefixed with the lane's name when lanes run side by side.
lane() {
  local name=$1
  shift
  if [ "$name" = "" ]; then
    node --import tsx --test "$@"
  else
    node --import tsx --test "$@" 2>&1 | sed -u "s/^/[$name] /"
  fi
}
# Files shared among `count` test processes side by side, each running one file after another in one process
# (test/support/files-in-one-process.ts): the application's modules load once per process, not once per file (the
# integration layer's CPU about a quarter lower: ADR 0011, "Fifth session"). The files wait in a queue in their order
# and each process takes the next one whenever it finishes one, so the processes end together ("Sixth session").
#   in_processes <lane name> <count> [node test options…] -- <files…>
in_processes() {
  local name=$1 count=$2 node_args=() files=() pids=() rc=0 i queue
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    node_args+=("$1")
    shift
  done
  shift
  files=("$@")
  [ ${#files[@]} -gt 0 ] || return 0
  queue=$(mktemp -d "${TMPDIR:-/tmp}/rvr-test-queue-XXXXXX")
  printf '%s\n' "${files[@]}" >"$queue/files"
  for ((i = 0; i < count && i < ${#files[@]}; i++)); do
    RVR_TEST_QUEUE="$queue" lane "$name-$((i + 1))" "${node_args[@]}" test/support/files-in-one-process.ts &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
  rm -rf "$queue"
  return $rc
}
# Unit files in one process (--test-isolation=none): 55 small files each paying a Node + tsx start-up cost 40 % more CPU
# than their tests (ADR 0011, measured side by side: 31 s of CPU in one process against 52 s, one process per file).
# They hold no state between files; `node --import tsx --test <file>` still runs one alone, as --watch does.
unit_args=(--test-isolation=none)
if [ "$layer" = all ]; then
  # The whole suite at once, with the call files first in line for the processors (ADR 0011, "Sixth session"):
  # - the call files, one after another in one process, at normal priority: a call's fake cameras, encoders, decoders
  #   and recorders must be served the moment they wake, or its media starve (packet loss, frozen decoders, timeouts);
  #   alone they use about 0.7 of one core, most of their time is waiting on the browsers and the network;
  # - beside them, at the idle scheduling class (SCHED_IDLE, `chrt --idle 0`: they run only on a processor the calls
  #   leave idle, and a waking call thread pre-empts them at once), the integration files (and the browser files
  #   without calls) in three processes, longest first, and the unit files in one process. Nice 10 was not enough in the
  #   third session (a page load timed out beside the integration lane): a niced process still takes a share.
  pids=()
  in_processes calls 1 "$@" -- "${browser_with_calls[@]}" &
  pids+=($!)
  files=("${first[@]}" "${browser_without_calls[@]}" "${next[@]}" "${rest_integration[@]}")
  if [ ${#files[@]} -gt 0 ]; then
    (in_background && in_processes integration 3 "$@" -- "${files[@]}") &
    pids+=($!)
  fi
  if [ ${#unit_files[@]} -gt 0 ]; then
    (in_background && lane unit "${unit_args[@]}" "$@" "${unit_files[@]}") &
    pids+=($!)
  fi
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  exit "$status"
fi
if [ ${#unit_files[@]} -gt 0 ]; then
  lane "" "${unit_args[@]}" "$@" "${unit_files[@]}" || status=$?
fi
# Three processes side by side on two cores: integration files spend much of their time waiting on PostgreSQL, ffmpeg
# or a child process (measured here: 4 min 50 s at three files at a time against 6 min 15 s at two, ADR 0011).
files=("${first[@]}" "${next[@]}" "${rest_integration[@]}")
if [ ${#files[@]} -gt 0 ]; then
  in_processes integration 3 "$@" -- "${files[@]}" || status=$?
fi
if [ ${#browser_without_calls[@]} -gt 0 ]; then
  lane "" --test-concurrency=2 "$@" "${browser_without_calls[@]}" || status=$?
fi
in_processes calls 1 "$@" -- "${browser_with_calls[@]}" || status=$?
exit "$status"
