#!/usr/bin/env bash
# npm run typecheck: the package (src, tests, benchmarks, examples, scripts) and the web UI, each
# with its own tsconfig, checked at the same time: tsc uses one core, and the two take about as long.
set -uo pipefail
cd "$(dirname "$0")/.."
tsc=node_modules/.bin/tsc
"$tsc" -p tsconfig.json --noEmit &
package=$!
"$tsc" -p web/tsconfig.json --noEmit
web=$?
wait "$package"
package=$?
exit $((package || web))
