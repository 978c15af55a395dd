#!/usr/bin/env bash
# Post-deploy smoke test of a stage's orders API: no key is refused, one order with the key is accepted.
# Needs API_URL and API_KEY_ID (the stage's outputs) and permission to read the key's value.
set -euo pipefail
: "${API_URL:?API_URL is required}" "${API_KEY_ID:?API_KEY_ID is required}"

key="$(aws apigateway get-api-key --api-key "$API_KEY_ID" --include-value --query value --output text)"
order="[{\"record_id\":\"smoke-$(date +%s)\",\"parameter_1\":\"smoke-test\",\"parameter_2\":1}]"

status="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$API_URL" -H 'content-type: application/json' -d "$order")"
[ "$status" = 403 ] || { echo "expected 403 without an API key, got $status"; exit 1; }

status="$(curl -sS -o response.json -w '%{http_code}' -X POST "$API_URL" -H "x-api-key: $key" -H 'content-type: application/json' -d "$order")"
cat response.json; echo
[ "$status" = 201 ] || { echo "expected 201 with the API key, got $status"; exit 1; }
echo "smoke test passed: $API_URL"
