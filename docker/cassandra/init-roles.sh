#!/usr/bin/env bash
# Command of the one-shot `cassandra-init` service: the roles of the pipeline (idempotent).
#
# With PasswordAuthenticator a new node has one superuser, cassandra/cassandra, known to all.
# This creates the superuser `admin` with the password of the cassandra_admin_password secret,
# drops the default one, and gives the pipeline its own login role, allowed to create keyspaces
# and so owner of the one iot-provision creates, and nothing else. Each run sets the pipeline
# role's password again: edit the secret file and rerun the service to change it.
set -euo pipefail
umask 077  # cqlsh ignores a credentials file that others can read

host="${IOT_CASSANDRA_HOST:-cassandra}"
admin="admin"
user="${IOT_CASSANDRA_USERNAME:?the login role of the pipeline}"
admin_password="$(<"${CASSANDRA_ADMIN_PASSWORD_FILE:?file with the password of admin}")"
user_password="$(<"${IOT_CASSANDRA_PASSWORD_FILE:?file with the password of the pipeline role}")"
[[ "$user" =~ ^[a-z][a-z0-9_]*$ ]] || { echo "IOT_CASSANDRA_USERNAME must be a plain lower-case identifier" >&2; exit 1; }
[[ -n "$admin_password" && -n "$user_password" ]] || { echo "empty password file" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A CQL string literal: single quotes doubled.
cql_string() { printf "'%s'" "${1//\'/\'\'}"; }

# cqlsh_as USER PASSWORD ARGS...: credentials through a file, never on a command line.
cqlsh_as() {
  printf '[PlainTextAuthProvider]\nusername = %s\npassword = %s\n' "$1" "$2" >"$work/credentials"
  shift 2
  cqlsh "$host" --credentials "$work/credentials" --request-timeout 30 "$@"
}

can_log_in() { cqlsh_as "$1" "$2" -e 'SELECT release_version FROM system.local' >/dev/null 2>&1; }

# The default superuser appears a few seconds after the node starts serving CQL.
for _ in $(seq 60); do
  can_log_in "$admin" "$admin_password" && break
  if can_log_in cassandra cassandra; then
    echo "creating the superuser $admin"
    printf 'CREATE ROLE IF NOT EXISTS %s WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = %s;\n' \
      "$admin" "$(cql_string "$admin_password")" >"$work/admin.cql"
    cqlsh_as cassandra cassandra -f "$work/admin.cql"
    continue
  fi
  sleep 5
done
can_log_in "$admin" "$admin_password" || {
  echo "cannot log in to $host as $admin: if the cassandra_admin_password secret changed since the" >&2
  echo "first start, put the old one back (or ALTER ROLE $admin with cqlsh) and run this again" >&2
  exit 1
}

echo "dropping the default superuser; setting up role $user"
cat >"$work/roles.cql" <<CQL
DROP ROLE IF EXISTS cassandra;
CREATE ROLE IF NOT EXISTS $user WITH LOGIN = true AND PASSWORD = $(cql_string "$user_password");
ALTER ROLE $user WITH PASSWORD = $(cql_string "$user_password");
GRANT CREATE ON ALL KEYSPACES TO $user;
CQL
cqlsh_as "$admin" "$admin_password" -f "$work/roles.cql"
echo "cassandra roles ready"
