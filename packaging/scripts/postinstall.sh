#!/bin/sh
# Make systemd see the (new) unit. The service is not enabled or started:
# the operator reviews /etc/otelcol-hybrid/config.yaml first. On upgrade a
# running service is restarted onto the new binary.
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if systemctl is-active --quiet otelcol-hybrid.service; then
    systemctl restart otelcol-hybrid.service || true
  fi
fi
