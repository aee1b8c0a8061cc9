#!/bin/bash
# Start the single-node KRaft broker with SASL/SCRAM listeners and ACLs enforced.
#
# SCRAM credentials in KRaft must exist before the first client connects, so they are written
# when the storage is formatted (first start only): the admin principal and one principal per
# Tandem process, each with the password from its environment variable. Rotate a password
# later with kafka-configs.sh --alter --entity-type users (see docs/architecture.md).
set -euo pipefail
: "${KAFKA_CLUSTER_ID:?set KAFKA_CLUSTER_ID}"
config=/opt/kafka/config/tandem/server.properties
scram=()
for principal in admin tandem-migrate tandem-web tandem-relay \
                 tandem-marac tandem-matac tandem-mappa tandem-sharing; do
  variable="KAFKA_PASSWORD_$(echo "${principal}" | tr 'a-z-' 'A-Z_')"
  password="${!variable:?set ${variable}}"
  scram+=(--add-scram "SCRAM-SHA-512=[name=${principal},password=${password}]")
done
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "${KAFKA_CLUSTER_ID}" -c "${config}" "${scram[@]}"
exec /opt/kafka/bin/kafka-server-start.sh "${config}" \
  --override "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"${KAFKA_PASSWORD_ADMIN}\";"
