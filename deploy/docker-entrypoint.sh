#!/bin/sh
# Entry point of the Cairn container image (also runs from a checkout: deploy/docker-entrypoint.sh).
#   no arguments            -> cairn serve (configured by CAIRN_* variables; see docs/operations.md)
#   serve|worker|run|…      -> that cairn command
#   --flag …                -> cairn serve --flag …
# `exec` makes node PID 1's direct replacement, so SIGTERM from `docker stop` or systemd reaches
# Cairn, which lets in-flight steps finish and records the worker as stopped.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cairn="${CAIRN_BIN:-$here/../bin/cairn.js}"
if [ ! -f "$cairn" ]; then
  echo "cairn entrypoint: $cairn not found (set CAIRN_BIN to bin/cairn.js)" >&2
  exit 2
fi

if [ "$#" -eq 0 ]; then
  set -- serve
else
  case "$1" in
    -*) set -- serve "$@" ;;
  esac
fi

exec node "$cairn" "$@"
