#!/usr/bin/env bash
# Installs python-scim's scim2-server, pinned in scim2-server-requirements.txt beside this
# script, into the venv VENV (rebuilt when the pins change) and prints the path of its
# `scim2-server` program. The adapter-scim integration tests call it and start the server
# themselves. Fails, saying why, when Python 3.11+ with venv or the package index is missing:
# the tests must not skip.
set -euo pipefail
venv=${1:?usage: scim2-server.sh VENV}
here=$(cd "$(dirname "$0")" && pwd)
requirements=$here/scim2-server-requirements.txt

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1 ||
  ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "scim2-server needs Python 3.11 or newer with venv and ensurepip ($python has none);" \
    "install python3 and python3-venv, or set PYTHON" >&2
  exit 1
fi

mkdir -p "$(dirname "$venv")"
# Two test processes must not build the same venv at once.
exec 9>"$venv.lock"
flock 9

stamp=$venv/requirements.sha256
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/scim2-server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing scim2-server into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements" >&2
  "$venv/bin/pip" check >&2
  echo "$wanted" >"$stamp"
fi
echo "$venv/bin/scim2-server"
