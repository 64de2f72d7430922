#!/bin/sh
# The build steps of deploy/Dockerfile, one stage each; deploy/test/production-build.test.ts runs the
# same script in a clean copy of the repository (no Docker engine needed).
#   sh deploy/build.sh build   all dependencies (no install scripts: nothing native is needed to build),
#                              then `npm run build`: packages/server/dist, examples/web/dist, packages/sdk/dist
#   sh deploy/build.sh deps    run-time dependencies only (`npm ci --omit=dev`; compiles better-sqlite3)
set -eu
case "${1:-}" in
  build)
    npm ci --ignore-scripts --no-audit --no-fund
    npm run build
    ;;
  deps)
    npm ci --omit=dev --no-audit --no-fund
    ;;
  *)
    echo "usage: sh deploy/build.sh build|deps" >&2
    exit 2
    ;;
esac
