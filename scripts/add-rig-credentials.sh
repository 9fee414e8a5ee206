#!/usr/bin/env bash
# Adds (or replaces) one MQTT login in Mosquitto's password file with mosquitto_passwd.
#
#   scripts/add-rig-credentials.sh [-f PASSWORD_FILE] NAME [PASSWORD]
#
# NAME is a rig id (the rig's RIG_ID: letters, digits, _ and -), or cellrig-writer / cellrig-operator
# for the users that deploy/mosquitto/acl names. The ACL confines a rig to cellrig/v1/<NAME>/#.
# Without PASSWORD a random one is generated and printed once: put it in the rig's Node-RED credentials.
# PASSWORD_FILE defaults to deploy/mosquitto/passwd (what docker-compose.yml mounts); it is created if
# missing. Mosquitto 2 reads it after dropping root, so it is made mode 600 and owned by MOSQUITTO_OWNER:
# default the local "mosquitto" user when there is one; MOSQUITTO_OWNER=1883 for the eclipse-mosquitto
# container. Reload a running broker afterwards: docker compose kill -s HUP mosquitto
set -euo pipefail

file="$(cd "$(dirname "$0")/.." && pwd)/deploy/mosquitto/passwd"
if [[ "${1:-}" == "-f" ]]; then
  file="${2:?-f needs a file}"
  shift 2
fi
name="${1:-}"
password="${2:-}"

if [[ -z "$name" ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
if [[ ! "$name" =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
  echo "add-rig-credentials: '$name' is not a rig id (letters, digits, _ and -, at most 64)" >&2
  exit 2
fi
if ! command -v mosquitto_passwd >/dev/null; then
  echo "add-rig-credentials: mosquitto_passwd not found (apt-get install mosquitto)" >&2
  exit 1
fi

generated=0
if [[ -z "$password" ]]; then
  password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 24)"
  generated=1
fi

mkdir -p "$(dirname "$file")"
if [[ -s "$file" ]]; then
  mosquitto_passwd -b "$file" "$name" "$password"
else
  mosquitto_passwd -c -b "$file" "$name" "$password"
fi
chmod 600 "$file"
owner="${MOSQUITTO_OWNER:-}"
if [[ -z "$owner" ]] && id mosquitto >/dev/null 2>&1; then
  owner=mosquitto
fi
if [[ -n "$owner" ]]; then
  chown "$owner" "$file"
fi

echo "added MQTT user '$name' to $file"
if [[ "$generated" == 1 ]]; then
  echo "password (shown once): $password"
fi
