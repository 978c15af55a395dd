#!/usr/bin/env bash
# The one build: lint, typecheck, test, synth. The GitHub workflow, the pipeline's synth step and .ci/run
# all call it, so they cannot drift apart. Arguments go to `cdk synth` (the pipeline passes its source
# context); JEST_ARGS adds options to `npm test`. Every step runs even after a failure, so one run
# reports everything; the exit status is the first failure's.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
step() {
  echo "==> $1"
  shift
  "$@"
  local code=$?
  if [ "$code" -ne 0 ]; then
    echo "==> failed (exit $code): $*"
    [ "$status" -eq 0 ] && status=$code
  fi
}

step lint npm run lint
step typecheck npm run typecheck
# shellcheck disable=SC2086 # JEST_ARGS is a list of options
step test npm test -- ${JEST_ARGS:-}
step synth npx cdk synth --quiet "$@"
exit "$status"
