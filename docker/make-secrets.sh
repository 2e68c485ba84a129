#!/usr/bin/env bash
# Create each missing secret of docker/compose.yaml (one per secrets/*.example) with a random
# value; existing files are kept, so running it again changes nothing.
#
# Compose bind-mounts these files into containers whose users are not you, so each file is
# readable by all (0644) while the folder keeps everyone else out on this host (0700).
set -euo pipefail

secrets_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
chmod 700 "$secrets_dir"
for example in "$secrets_dir"/*.example; do
  secret="${example%.example}"
  if [[ -e "$secret" ]]; then
    echo "kept    $secret"
    continue
  fi
  # 32 hex digits (128 bits): an alphabet every consumer accepts, Kafka's --add-scram included.
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$secret"
  chmod 644 "$secret"
  echo "created $secret"
done
