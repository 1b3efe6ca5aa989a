#!/bin/sh
# Forget the removed unit. The user and /etc config (noreplace) are kept,
# as distributions do for system services.
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
