#!/usr/bin/env bash
# `streamtrain registry` (Confluent's REST API, schemas in the _schemas topic) in place of
# confluentinc/cp-schema-registry, configured from the same SCHEMA_REGISTRY_* variables. The
# endpoint listens on the loopback only, so socat (in the local base image) forwards the listener
# the variables name to it. Java stays PID 1, so SIGTERM stops it.
set -euo pipefail
bootstrap="${SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS:?the Kafka bootstrap, as for cp-schema-registry}"
bootstrap="${bootstrap#PLAINTEXT://}"
listener="${SCHEMA_REGISTRY_LISTENERS:-http://0.0.0.0:8081}"
port="${listener##*:}"
inner=$((port + 10000))
socat "TCP-LISTEN:$port,fork,reuseaddr" "TCP:127.0.0.1:$inner" &
exec java -XX:MaxRAMPercentage=75 -jar /app/streamtrain.jar registry --bootstrap "$bootstrap" --port "$inner"
