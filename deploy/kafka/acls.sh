#!/bin/bash
# One-shot: grant each Tandem principal exactly what its process does (run as admin).
# Topic names carry the prefix TANDEM_TOPIC_PREFIX (default "tandem").
set -euo pipefail
prefix="${TANDEM_TOPIC_PREFIX:-tandem}"
cat > /tmp/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_PASSWORD_ADMIN}";
PROPS
acl() { /opt/kafka/bin/kafka-acls.sh --bootstrap-server kafka:9092 --command-config /tmp/admin.properties --add "$@"; }
topics() { echo --resource-pattern-type prefixed --topic "${prefix}."; }
groups() { echo --resource-pattern-type prefixed --group "${prefix}-"; }

# migrate: creates the topics (retention forever) and restores lost partitions
acl --allow-principal User:tandem-migrate --operation Create --operation Alter \
    --operation Describe --operation DescribeConfigs $(topics)
acl --allow-principal User:tandem-migrate --operation Create --cluster
# relay: the only writer of Tandem's events (from the event store); the archiver in the same
# process reads every topic; both dead-letter what they cannot store
acl --allow-principal User:tandem-relay --operation Write --operation Read \
    --operation Describe $(topics)
acl --allow-principal User:tandem-relay --operation IdempotentWrite --cluster
acl --allow-principal User:tandem-relay --operation Read $(groups)
# projectors: read the streams, write only dead letters (literal names: a projector can
# never put an event on a stream topic)
streams="marac.cases marac.meetings police.incidents matac.perpetrators mappa.nominals persons sharing.erasures audit.access audit.security"
for service in marac matac mappa sharing; do
  acl --allow-principal "User:tandem-${service}" --operation Read --operation Describe $(topics)
  for stream in ${streams}; do
    acl --allow-principal "User:tandem-${service}" --operation Write --topic "${prefix}.${stream}.dlq"
  done
  acl --allow-principal "User:tandem-${service}" --operation IdempotentWrite --cluster
  acl --allow-principal "User:tandem-${service}" --operation Read $(groups)
done
# web app: reads end offsets for /health; it never writes to Kafka (commands go to the store)
acl --allow-principal User:tandem-web --operation Describe --operation Read $(topics)
echo "ACLs in place"
