#!/bin/sh
# Create the system user before the files are unpacked: the config file is
# installed root:otelcol-hybrid 0640.
set -e
if ! getent group otelcol-hybrid >/dev/null; then
  groupadd --system otelcol-hybrid
fi
if ! getent passwd otelcol-hybrid >/dev/null; then
  useradd --system --gid otelcol-hybrid --no-create-home \
    --home-dir /var/lib/otelcol-hybrid --shell /usr/sbin/nologin \
    --comment "otelcol-hybrid collector" otelcol-hybrid
fi
