#!/bin/sh
# Stop and disable the service on removal only (deb: "remove", rpm: $1 = 0),
# not on upgrade, where postinstall restarts it.
set -e
case "$1" in
  remove|0)
    if [ -d /run/systemd/system ]; then
      systemctl disable --now otelcol-hybrid.service >/dev/null 2>&1 || true
    fi
    ;;
esac
