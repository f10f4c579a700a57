#!/usr/bin/env bash
# Apache Kafka from the jars inside streamtrain.jar (the broker classes EmbeddedKafka runs),
# configured the way the apache/kafka image is: every KAFKA_* variable becomes a server property
# (KAFKA_LOG_DIRS -> log.dirs; "__" stands for "_", "___" for "-"), and CLUSTER_ID formats the log
# directory on the first start. deploy/compose.local.yml runs it in place of apache/kafka, with the
# public file's environment unchanged.
set -euo pipefail
conf=/tmp/server.properties
: > "$conf"
while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_*)
      key="${name#KAFKA_}"
      key="${key,,}"
      key="${key//___/-}"
      key="${key//__/@}"
      key="${key//_/.}"
      echo "${key//@/_}=$value" >> "$conf"
      ;;
  esac
done < <(env)
: "${CLUSTER_ID:?CLUSTER_ID must name the cluster, as for apache/kafka}"
java -cp /app/streamtrain.jar kafka.tools.StorageTool format --config "$conf" \
  --cluster-id "$CLUSTER_ID" --ignore-formatted
exec java -cp /app/streamtrain.jar kafka.Kafka "$conf"
