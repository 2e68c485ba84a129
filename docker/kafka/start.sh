#!/usr/bin/env bash
# Command of the `kafka` service: format the storage on first start, then run the node.
#
# The apache/kafka image formats its storage itself but offers no way to pass
# `kafka-storage format --add-scram`, and in KRaft mode that is how a SCRAM user exists before
# the first client connects. So this script replaces the image's command; the credential is
# read from the compose secret and only ever given to the format step.
set -euo pipefail

config=/etc/kafka/iot/server.properties
data_dir=/var/lib/kafka/data
: "${IOT_KAFKA_SASL_USERNAME:?the Kafka user of the pipeline}"
: "${IOT_KAFKA_SASL_PASSWORD_FILE:?the file holding its password}"

if [[ ! -f "$data_dir/meta.properties" ]]; then
  password="$(<"$IOT_KAFKA_SASL_PASSWORD_FILE")"
  # --add-scram splits its argument on commas and strips quotes: keep to a safe alphabet.
  [[ "$password" =~ ^[A-Za-z0-9._~+/=-]+$ ]] \
    || { echo "the password in $IOT_KAFKA_SASL_PASSWORD_FILE must be non-empty, of A-Z a-z 0-9 . _ ~ + / = -" >&2; exit 1; }
  cluster_id="$(/opt/kafka/bin/kafka-storage.sh random-uuid)"
  echo "formatting $data_dir (cluster $cluster_id) with SCRAM-SHA-512 user $IOT_KAFKA_SASL_USERNAME"
  /opt/kafka/bin/kafka-storage.sh format --config "$config" --cluster-id "$cluster_id" \
    --add-scram "SCRAM-SHA-512=[name=$IOT_KAFKA_SASL_USERNAME,password=\"$password\"]"
fi

exec /opt/kafka/bin/kafka-server-start.sh "$config"
