#!/usr/bin/env bash
# Build the one-folder bundle (unless --no-build) and check the frozen app: it scores the demo headless,
# the bundled `vatp` command line scores it too, the window scores it through its worker process, and the
# window shows offscreen, twice, each within 3 s.
# Prints the build time and the bundle size.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--no-build" ] || bash packaging/build.sh
app=dist/VATPStudio/vatp-studio
[ -x "$app" ] || { echo "no bundle at $app" >&2; exit 1; }
export QT_QPA_PLATFORM=offscreen VATP_HOME="$(mktemp -d)"
echo "bundle size: $(du -sh dist/VATPStudio | cut -f1)"

out=$("$app" --headless --demo 2>&1) || { echo "$out"; echo "headless scoring failed" >&2; exit 1; }
echo "$out"
echo "$out" | grep -Eq "demo_routine.mp4: [0-9]+\.[0-9]+" || { echo "no score printed" >&2; exit 1; }

cli=dist/VATPStudio/vatp
[ -x "$cli" ] || { echo "no command line at $cli" >&2; exit 1; }
demo=$(mktemp -d)/demo_routine.mp4
cp resources/demo/demo_routine.mp4 "$demo"
out=$("$cli" score "$demo" --no-library 2>&1) || { echo "$out"; echo "vatp score failed" >&2; exit 1; }
echo "$out"
echo "$out" | grep -Eq "demo_routine.mp4: [0-9]+\.[0-9]+" || { echo "vatp score printed no score" >&2; exit 1; }
"$cli" report --help >/dev/null || { echo "vatp report (the app's Qt-backed command) is missing" >&2; exit 1; }

# the window scores through its worker process, which a frozen app starts by re-running itself (freeze support)
shot=$(mktemp -d)/scored.png
"$app" --demo --screenshot "$shot" >/dev/null 2>&1 || { echo "scoring in the window (worker process) failed" >&2; exit 1; }
[ -s "$shot" ] || { echo "the window scored nothing: no $shot" >&2; exit 1; }
echo "window scored the demo through its worker process: $(du -h "$shot" | cut -f1) screenshot"

for run in 1 2 3; do
  line=$("$app" --exit-after-show 2>/dev/null | grep "window shown after")
  secs=$(echo "$line" | awk '{print $4}')
  echo "launch $run: $line"
  if [ "$run" -gt 1 ] && awk -v s="$secs" 'BEGIN {exit !(s >= 3)}'; then
    echo "window took ${secs} s (target < 3 s)" >&2; exit 1
  fi
done
echo "smoke test passed"
