#!/usr/bin/env bash
# Runs streamtrain's containers on a Debian machine (as root) that reaches Debian's package mirrors
# but no container registry: Podman serves the Docker API on a unix socket, and the images are
# built here instead of pulled.
#
#   eval "$(deploy/local-images.sh)"   # engine, base image, socket; prints the exports to eval
#   deploy/local-images.sh image       # the same, then builds the project image from the jar that
#                                      # `mvn package` left in target/, for docker-compose (the
#                                      # container ITs build it themselves through the socket)
#   deploy/local-images.sh stop        # stops the socket service and the healthcheck loop it started
#
# What it does, each step skipped when already done (so a second run takes a few seconds):
#   1. apt-get installs podman, runc, mmdebstrap and docker-compose (v1) where missing;
#   2. writes /etc/containers/containers.conf unless one exists: no default ulimits (setting
#      RLIMIT_NPROC/NOFILE fails on this kind of machine) and runc (crun refuses hybrid cgroups);
#   3. builds the base image $BASE_IMAGE (Debian bookworm + Java 17 from Debian's packages, by
#      mmdebstrap) unless Podman has it: the public eclipse-temurin image cannot be pulled here
#      (`podman rmi` it to rebuild);
#   4. removes untagged images (earlier builds of the project image);
#   5. starts `podman system service` on $SOCKET unless something answers there already;
#   6. starts a loop that runs the containers' healthchecks: Podman schedules them with systemd
#      timers, and without systemd (as here) compose's service_healthy would wait forever;
#   7. (image) builds $PROJECT_IMAGE from the Dockerfile with JAR_FROM=host: the Maven stage would
#      need the Maven image and Maven Central from inside the build.
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE_IMAGE="${STREAMTRAIN_BASE_IMAGE:-localhost/streamtrain-base:bookworm-jre17}"
PROJECT_IMAGE="${STREAMTRAIN_IMAGE:-localhost/streamtrain:0.1.0-cpu}"
SOCKET="${STREAMTRAIN_PODMAN_SOCKET:-/run/podman/podman.sock}"
STATE_DIR=/run/streamtrain-podman
CONF=/etc/containers/containers.conf

log() { echo "local-images: $*" >&2; }

install_tools() {
  local missing=()
  command -v podman > /dev/null || missing+=(podman)
  command -v runc > /dev/null || missing+=(runc)
  command -v mmdebstrap > /dev/null || missing+=(mmdebstrap)
  command -v docker-compose > /dev/null || missing+=(docker-compose)
  command -v curl > /dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" > /dev/null
  fi
}

write_conf() {
  if [ -f "$CONF" ]; then
    grep -q 'default_ulimits *= *\[\]' "$CONF" \
      || log "warning: $CONF exists without default_ulimits = [] (containers may fail to start)"
    return
  fi
  mkdir -p "$(dirname "$CONF")"
  cat > "$CONF" << 'EOF'
# Written by streamtrain's deploy/local-images.sh.
[containers]
# Setting the default RLIMIT_NPROC / RLIMIT_NOFILE fails on this kind of machine.
default_ulimits = []

[engine]
# crun refuses hybrid cgroups; runc runs.
runtime = "runc"
EOF
  log "wrote $CONF"
}

build_base() {
  if podman image exists "$BASE_IMAGE"; then
    log "base image $BASE_IMAGE: present"
    return
  fi
  local tmp
  tmp="$(mktemp -d)"
  log "building $BASE_IMAGE with mmdebstrap (Debian bookworm, openjdk-17-jre-headless)"
  # passwd for the Dockerfile's groupadd/useradd, ca-certificates for the JRE's trust store,
  # socat for deploy/local/registry.sh.
  mmdebstrap --quiet --variant=apt --include=openjdk-17-jre-headless,passwd,ca-certificates,socat \
    bookworm "$tmp/rootfs.tar" >&2
  podman import --quiet --change 'CMD ["/bin/bash"]' "$tmp/rootfs.tar" "$BASE_IMAGE" > /dev/null
  rm -rf "$tmp"
  # sed reads every line: head would close the pipe early, and under pipefail the SIGPIPE of
  # podman ended the script right after a first build, so a fresh machine skipped the container ITs.
  podman run --rm "$BASE_IMAGE" java -version 2>&1 | sed -n '1s/^/local-images: base: /p' >&2
}

start_service() {
  mkdir -p "$STATE_DIR" "$(dirname "$SOCKET")"
  if curl -fsS --max-time 5 --unix-socket "$SOCKET" http://d/_ping > /dev/null 2>&1; then
    log "Docker API on $SOCKET: answering"
  else
    log "starting podman system service on $SOCKET"
    rm -f "$SOCKET"
    # From /: conmon inherits the service's working directory, and one deleted under it (a CI
    # checkout removed between runs) fails every container start with "write child: broken pipe".
    (cd / && exec setsid nohup podman system service --time=0 "unix://$SOCKET" \
      > "$STATE_DIR/service.log" 2>&1 < /dev/null) &
    echo $! > "$STATE_DIR/service.pid"
    for _ in $(seq 1 60); do
      if curl -fsS --max-time 2 --unix-socket "$SOCKET" http://d/_ping > /dev/null 2>&1; then
        break
      fi
      sleep 0.5
    done
    curl -fsS --max-time 5 --unix-socket "$SOCKET" http://d/_ping > /dev/null \
      || { log "podman system service did not answer on $SOCKET: see $STATE_DIR/service.log"; exit 1; }
  fi
  if [ -f "$STATE_DIR/health.pid" ] && kill -0 "$(cat "$STATE_DIR/health.pid")" 2> /dev/null; then
    return
  fi
  local self
  self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
  (cd / && exec setsid nohup "$self" health-loop > "$STATE_DIR/health.log" 2>&1 < /dev/null) &
  echo $! > "$STATE_DIR/health.pid"
}

# Runs every running container's healthcheck every few seconds (containers without one are skipped).
health_loop() {
  while true; do
    for id in $(podman ps -q --filter health=starting --filter health=healthy --filter health=unhealthy); do
      podman healthcheck run "$id" > /dev/null 2>&1 || true
    done
    sleep 3
  done
}

build_project_image() {
  local jar="$ROOT/target/streamtrain.jar"
  # The plain jar is small; the shaded one carries the dependencies and PyTorch's natives.
  if [ ! -f "$jar" ] || [ "$(stat -c %s "$jar")" -lt 10000000 ]; then
    log "$jar is missing or not the shaded jar: run mvn -B package -DskipTests first"
    exit 1
  fi
  log "building $PROJECT_IMAGE from the Dockerfile (JAR_FROM=host, RUNTIME_BASE=$BASE_IMAGE)"
  # VARIANT and JAR_FROM are passed although they have defaults: Podman 4.3 resolves a stage named
  # through an ARG only when the ARG comes with --build-arg.
  podman build --quiet --build-arg VARIANT=cpu --build-arg JAR_FROM=host \
    --build-arg RUNTIME_BASE="$BASE_IMAGE" -t "$PROJECT_IMAGE" "$ROOT" > /dev/null
  log "built $PROJECT_IMAGE"
}

stop() {
  for name in health service; do
    if [ -f "$STATE_DIR/$name.pid" ]; then
      kill "$(cat "$STATE_DIR/$name.pid")" 2> /dev/null || true
      rm -f "$STATE_DIR/$name.pid"
    fi
  done
}

print_exports() {
  cat << EOF
export DOCKER_HOST=unix://$SOCKET
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE=$SOCKET
export STREAMTRAIN_BASE_IMAGE=$BASE_IMAGE
export STREAMTRAIN_IMAGE=$PROJECT_IMAGE
EOF
}

case "${1:-setup}" in
  setup | image)
    if [ "$(id -u)" != 0 ]; then
      log "run as root (it installs packages and runs rootful Podman)"
      exit 1
    fi
    install_tools
    write_conf
    build_base
    # Each build from a new jar leaves the previous image's layers untagged: ~250 MB a run.
    podman image prune -f > /dev/null 2>&1 || log "some untagged images are still in use (podman ps -a --external)"
    start_service
    if [ "${1:-setup}" = image ]; then
      build_project_image
    fi
    print_exports
    ;;
  health-loop) health_loop ;;
  stop) stop ;;
  *)
    echo "usage: $0 [setup|image|stop]" >&2
    exit 2
    ;;
esac
