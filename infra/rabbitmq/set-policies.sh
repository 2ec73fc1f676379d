#!/usr/bin/env bash
# Sets the broker policy the platform is measured and tested with, on one virtual host: classic queues version 2 on
# RabbitMQ 3.10 and 3.11. Version 2 keeps each queue's small messages in the queue's own files instead of the vhost's
# shared message store, and is the default from 3.12 and the only version from 4.0 (whose policies reject the key).
# A queue follows one policy only, the highest priority one that matches: if you run policies of your own on these
# queues, add "queue-version": 2 to them instead.
#   bash infra/rabbitmq/set-policies.sh [vhost=/]
set -euo pipefail
vhost=${1:-/}
version=$(rabbitmqctl -q version)
case "$version" in
  3.10.* | 3.11.*)
    rabbitmqctl -q set_policy -p "$vhost" --apply-to queues classic-queues-v2 '.*' '{"queue-version": 2}'
    echo "set-policies: classic-queues-v2 on $vhost (RabbitMQ $version)"
    ;;
  *) echo "set-policies: RabbitMQ $version has classic queues v2 already; nothing to set" ;;
esac
