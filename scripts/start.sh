#!/usr/bin/env bash
# Command 1 of the README: install, build the site, seed local R2 with the
# shipped models and serve site + API on http://127.0.0.1:8787 (offline, no account).
source "$(dirname "$0")/env.sh"
cd "$ROOT"
ensure_deps
npm run build:site
npm run seed
exec npx wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --local
