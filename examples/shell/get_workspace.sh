#!/usr/bin/env bash
# GET /iam/v1/workspaces/current with curl and jq, like Alteryx's bash example, without its risk: the token
# comes from `aac token`, which refreshes it under the lock every program sharing creds.json takes and saves
# the rotated pair atomically. This script never writes creds.json itself.
#
#   examples/shell/get_workspace.sh
#
# Needs node, curl and jq. On failure it exits with aac's exit code (3 config, 4 re-authenticate, 5 network…)
# or curl's (22: the API answered with an error, whose body is printed on stderr; 7: no connection…).
set -euo pipefail

for tool in node curl jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: needs $tool (Debian/Ubuntu: apt-get install $tool)" >&2; exit 127; }
done
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
aac() { node "$repo/packages/cli/bin/aac.js" "$@"; }

# One call gives the token and the values for the headers; if it fails, aac has printed the fix on stderr.
session=$(aac token --json)
api_url=$(printf '%s' "$session" | jq -r .api_url)
project_id=$(printf '%s' "$session" | jq -r .project_id)

# The token reaches curl through a pipe (-H @-), never its command line, where `ps` would show it to others.
status=0
body=$(printf '%s' "$session" | jq -r '"Authorization: Bearer \(.access_token)"' |
  curl --silent --show-error --fail-with-body \
    --header @- \
    --header "x-api-project-id: $project_id" \
    --header 'Accept: application/json' \
    "$api_url/iam/v1/workspaces/current") || status=$?
if [ "$status" -ne 0 ]; then
  # The body as sent: an error is not always JSON (`Unauthorized` is plain text).
  [ -z "$body" ] || printf '%s\n' "$body" >&2
  exit "$status"
fi
if printf '%s' "$body" | jq empty 2>/dev/null; then printf '%s' "$body" | jq .; else printf '%s\n' "$body"; fi
