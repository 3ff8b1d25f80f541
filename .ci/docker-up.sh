#!/usr/bin/env bash
# Make a Docker engine answer on this machine, or fail loudly.
#
# Idempotent: if `docker info` already answers, nothing happens. Otherwise (as root on a
# Debian/Ubuntu machine) the Debian `docker.io` package is installed if dockerd is missing,
# and `dockerd` is started in the background WITHOUT a bridge and WITHOUT iptables rules:
# containers must then use host networking (`network_mode="host"`, see tests/providers.py and
# MEMREPO_TEST_DOCKER_HOST_NETWORK=1), so every connection stays on 127.0.0.1.
#
# Exit status: 0 when the engine answers; non-zero (with a message on stderr) otherwise, so the
# caller can fall back to the embedded PostgreSQL server.
#
# Environment:
#   DOCKERD_LOG        dockerd log file            (default /var/log/memrepo-dockerd.log)
#   DOCKERD_WAIT       seconds to wait for the engine (default 60)
#   DOCKERD_EXTRA_ARGS extra arguments for dockerd (word-split)
set -uo pipefail

LOG_FILE="${DOCKERD_LOG:-/var/log/memrepo-dockerd.log}"
WAIT_SECONDS="${DOCKERD_WAIT:-60}"

say() { printf '[docker-up] %s\n' "$*" >&2; }
die() {
    printf '\n[docker-up] ERROR: %s\n' "$*" >&2
    printf '[docker-up] No Docker engine: the test matrix falls back to the embedded PostgreSQL.\n' >&2
    exit 1
}

engine_answers() {
    command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

if engine_answers; then
    say "Docker engine already answers; nothing to do."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    die "the Docker engine does not answer and starting one needs root (run as root, or start Docker yourself)."
fi

if ! command -v dockerd >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "dockerd is not installed and apt-get is not available."
    say "installing docker.io from the distribution (apt-get update + install, quiet)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed."
    apt-get install -y -qq --no-install-recommends docker.io >/dev/null 2>&1 \
        || die "apt-get install docker.io failed."
    command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is not on PATH."
fi
command -v docker >/dev/null 2>&1 || die "the docker CLI is missing (install docker.io or docker-ce-cli)."

# A previous dockerd may still be starting (or be wedged): only start one if none is running.
if ! pgrep -x dockerd >/dev/null 2>&1; then
    # A stale pid file from a dead daemon would make dockerd refuse to start.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    # containerd is started by dockerd itself when no system containerd is running.
    mkdir -p "$(dirname "$LOG_FILE")"
    say "starting dockerd --bridge=none --iptables=false (log: $LOG_FILE)"
    # setsid: its own session, so the daemon outlives this script and the caller's process group.
    detach=()
    command -v setsid >/dev/null 2>&1 && detach=(setsid)
    # shellcheck disable=SC2086
    nohup "${detach[@]}" dockerd --bridge=none --iptables=false --ip6tables=false \
        ${DOCKERD_EXTRA_ARGS:-} >>"$LOG_FILE" 2>&1 </dev/null &
    disown || true
else
    say "dockerd is already running; waiting for it to answer."
fi

deadline=$((SECONDS + WAIT_SECONDS))
while [ "$SECONDS" -lt "$deadline" ]; do
    if engine_answers; then
        say "Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))."
        exit 0
    fi
    if ! pgrep -x dockerd >/dev/null 2>&1; then
        tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true
        die "dockerd exited during startup (log above, full log: $LOG_FILE)."
    fi
    sleep 1
done

tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true
die "dockerd did not answer within ${WAIT_SECONDS}s (log above, full log: $LOG_FILE)."
