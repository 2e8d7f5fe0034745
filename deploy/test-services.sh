#!/usr/bin/env bash
# What `make test` needs on this machine, started when down (installed from Debian's packages when missing):
# PostgreSQL, RabbitMQ and Redis on 127.0.0.1, and Chromium with its driver for the rating page's browser test.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  if ! ls /etc/postgresql >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  rabbitmq-server -detached
fi
# Redis holds the rate-limit counters of the distributed mode.
if ! port_open 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null
fi
# The residents' rating page is tested in a real headless browser.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# The alert rules and dashboards are checked with promtool, which Debian ships in `prometheus`. Only the tool
# is wanted: the server the package's postinst starts is stopped (and, under systemd, disabled).
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
fi
for _ in $(seq 1 60); do
  if port_open 5432 && port_open 5672 && port_open 6379; then break; fi
  sleep 1
done
