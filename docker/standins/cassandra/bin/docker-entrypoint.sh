#!/usr/bin/env bash
# Stand-in for docker-entrypoint.sh of the official Cassandra image, for what docker/compose.yaml
# uses: `cassandra -f` started as root gives the data folder to the user cassandra and runs as
# it, after setting in cassandra.yaml the container's address (listen, broadcast, seed), the
# client address 0.0.0.0 and CASSANDRA_CLUSTER_NAME; any other command runs as given.
set -euo pipefail

if [[ "${1:-}" == cassandra && "$(id -u)" == 0 ]]; then
  chown -R cassandra:cassandra /var/lib/cassandra /var/log/cassandra
  exec setpriv --reuid=cassandra --regid=cassandra --init-groups "$0" "$@"
fi

if [[ "${1:-}" == cassandra ]]; then
  yaml="$CASSANDRA_CONF/cassandra.yaml"
  address="$(hostname --ip-address | awk '{print $1}')"
  # Rewritten in place rather than replaced, as the official script does: the file may be a bind mount.
  edited="$(sed -E \
    -e "s/^(# *)?listen_address:.*/listen_address: $address/" \
    -e "s/^(# *)?broadcast_address:.*/broadcast_address: $address/" \
    -e "s/^(# *)?broadcast_rpc_address:.*/broadcast_rpc_address: $address/" \
    -e "s/^(# *)?rpc_address:.*/rpc_address: 0.0.0.0/" \
    -e "s/(- seeds:).*/\\1 \"$address:7000\"/" \
    -e "s/^cluster_name:.*/cluster_name: '${CASSANDRA_CLUSTER_NAME:-Test Cluster}'/" "$yaml")"
  printf '%s\n' "$edited" >"$yaml"
  grep -q "^broadcast_rpc_address: $address\$" "$yaml" || printf 'broadcast_rpc_address: %s\n' "$address" >>"$yaml"
fi
exec "$@"
