#!/usr/bin/env bash
# Runs every test file (Node 20's runner finds no .ts files by itself, so the list is expanded here),
# except the long suite under test/long/ (`npm run test:long`). The files of a folder that has an entry
# file of its name (test/api/ and test/api.test.ts) run through that entry, in one process. Pass file
# paths to run only those: bash test/run.sh test/engine.test.ts
set -euo pipefail
shopt -s globstar nullglob
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=()
  for file in test/**/*.test.ts; do
    folder=${file%/*}
    [[ $folder == test/long || ($folder != test && -f $folder.test.ts) ]] || files+=("$file")
  done
fi
export NO_COLOR=1
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
