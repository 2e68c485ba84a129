#!/usr/bin/env bash
# Entrypoint of the `cassandra` service: the image's own, with authentication turned on.
#
# The cassandra image sets addresses from environment variables but has no switch for the
# authenticator, so this points cassandra.yaml at PasswordAuthenticator and CassandraAuthorizer
# (whether the file writes `authenticator: X` or `authenticator:` then `  class_name: X`), checks
# that both took, and hands over to docker-entrypoint.sh with the same arguments.
set -euo pipefail

yaml="${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml"

# use_class KEY CLASS: set the class of a top-level KEY of cassandra.yaml, in either form.
use_class() {
  local key="$1" class="$2" edited
  edited="$(sed -E \
    -e "/^$key:/{ s/^($key:)[[:space:]]*[^[:space:]#].*\$/\\1 $class/; t" \
    -e "n; s/^([[:space:]]+class_name[[:space:]]*:).*\$/\\1 $class/; }" "$yaml")"
  # Rewritten in place rather than replaced: the file may be a bind mount.
  printf '%s\n' "$edited" >"$yaml"
  grep -Eq "^($key:|[[:space:]]+class_name[[:space:]]*:)[[:space:]]*$class\$" "$yaml" \
    || { echo "could not set $key to $class in $yaml" >&2; exit 1; }
}

use_class authenticator org.apache.cassandra.auth.PasswordAuthenticator
use_class authorizer org.apache.cassandra.auth.CassandraAuthorizer
exec docker-entrypoint.sh "$@"
