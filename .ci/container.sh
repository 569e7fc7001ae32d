#!/usr/bin/env bash
# Build the Dockerfile with podman (../shared/tools/container-check: no Docker engine and no Docker
# Hub here) and run inside the image, as its non-root user: the CLI, the config check, the offline
# demo, and the image's own HEALTHCHECK command against a daemon started in that same step.
set -euo pipefail
cd "$(dirname "$0")/.."
# The check is this workplace's tool, beside the clone (../shared/tools); CONTAINER_CHECK overrides it.
# A machine without it cannot build the image here: say so loudly and leave the verdict to the tests.
check=${CONTAINER_CHECK:-../shared/tools/container-check}
if [[ ! -x $check && ! -f $check ]]; then
  echo "container check SKIPPED: $check not found on this machine (set CONTAINER_CHECK to run it)" >&2
  exit 0
fi
# the HEALTHCHECK command exactly as the Dockerfile states it (exec form -> a shell command)
healthcheck=$(python3 -c 'import json; line = next(l for l in open("Dockerfile") if l.startswith("HEALTHCHECK")); print(" ".join(json.loads(line[line.index(" CMD ") + 5:])))')
# a daemon whose one source is on loopback (nothing leaves the machine), with the image's default
# database in /data; healthy within 10 s, then SIGTERM must end it with exit 0
read -r -d '' daemon <<'SH' || true
printf '[[sources]]\nid = "probe"\nurl = "http://127.0.0.1:9/"\nkind = "html"\nschedule = "every 1h"\n' > /tmp/probe.toml; bridgewatch --config /tmp/probe.toml run --source probe > /tmp/daemon.log 2>&1 & pid=$!; ok=1; for i in $(seq 1 50); do if @HEALTHCHECK@; then ok=0; break; fi; sleep 0.2; done; kill -TERM $pid; wait $pid; rc=$?; cat /tmp/daemon.log; echo "user=$(id -un) healthcheck=$([ $ok = 0 ] && echo passed || echo FAILED) daemon_exit=$rc"; [ $ok = 0 ] && [ $rc = 0 ]
SH
exec bash "$check" -- \
  'bridgewatch --version' \
  'bridgewatch check-config' \
  'cd /tmp && bridgewatch demo --out /tmp/demo' \
  "${daemon//@HEALTHCHECK@/$healthcheck}"
