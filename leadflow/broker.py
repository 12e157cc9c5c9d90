"""Leadflow's broker transports: kombu's Redis one, fixed so a worker survives a Redis restart, and
kombu's filesystem one (the embedded default), made to stop promptly on Ctrl-C.

The bug (kombu 5.7.0 + celery 5.7.0, no released fix; kombu #970/#582, celery #10205 are the same
family): when the broker connection is lost, celery's `on_connection_error_after_connected` calls
`connection.collect()` and then `connection.close()`. `collect()` tries to close the consumer's channel
(it fails on the dead socket: the channel stays open) and then sets `transport.client = None`.
`close()` closes that channel again; closing restores the worker's unacknowledged messages (the ETA
checks it holds) and so needs a new Redis pool, whose `_connparams` reads `self.connection.client.hostname`
(kombu/transport/redis.py:1959) -> AttributeError, which is not a connection error, so
`ignore_errors` lets it through and the worker dies with "Unrecoverable error" (beat with it, if -B).

The fix: the channel remembers where its broker is, so the restore goes to the broker's address
rather than to None. If Redis is back the messages are restored into it. If it is still down (the
usual case: the worker notices at once) the restore fails with a connection error, which celery
ignores, so the worker reconnects by itself; we keep the messages in memory and put them back into
the queue as soon as the worker has reconnected (`RestoreHeldMessages`, a consumer bootstep), so an
ETA check held only by this worker still fires at its ETA. The SLA sweep remains the safety net
(docs/sla.md, "Redis restarts").
"""

import logging

from celery import bootsteps
from kombu.transport import filesystem
from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)

# (payload, exchange, routing_key) of the messages this worker held when the broker went away and
# could not give back then; RestoreHeldMessages puts them back after the reconnect. Per process.
_held = []


def transport_for(url: str) -> str | None:
    """The transport class (celery's broker_transport) for a broker URL: ours for redis:// and
    filesystem://, kombu's own for anything else (None: chosen by the URL's scheme)."""
    if url.startswith("redis://"):
        return "leadflow.broker:Transport"
    if url.startswith("filesystem://"):
        return "leadflow.broker:FilesystemTransport"
    return None


class QoS(kombu_redis.QoS):
    def restore_unacked(self, client=None):
        held = [
            (message._raw, message.delivery_info["exchange"], message.delivery_info["routing_key"])
            for message in self._delivered.values()
        ]
        try:
            return super().restore_unacked(client)
        except self.channel.connection_errors:
            # Redis is down: keep them here and put them back once the worker has reconnected
            log.warning("Broker down: %s unacknowledged message(s) kept to restore after the reconnect", len(held))
            _held.extend(held)
            self._delivered.clear()
            return None


class Channel(kombu_redis.Channel):
    QoS = QoS

    def __init__(self, connection, *args, **kwargs):
        self._conninfo = connection.client  # kombu's Connection: where the broker is
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is not None and transport.client is None and self._conninfo is not None:
            # the Connection was collected (transport.client = None) while this channel still had
            # unacknowledged messages to restore: restore them at the broker's address, not at None
            transport.client = self._conninfo
            try:
                return super()._connparams(asynchronous=asynchronous)
            finally:
                transport.client = None
        return super()._connparams(asynchronous=asynchronous)

    def close(self):
        super().close()
        self._disconnect_pools()  # a pool the restore opened after kombu had released its own


class Transport(kombu_redis.Transport):
    Channel = Channel


def held_messages_restore(connection) -> int:
    """Put the messages kept by QoS.restore_unacked back into their queues (one pipeline); how many.

    Raises the broker's connection error if Redis went away again: they stay kept for the next try.
    """
    channel = connection.default_channel
    if not _held or not isinstance(channel, Channel):
        return 0
    batch = list(_held)
    with channel.conn_or_acquire() as client, client.pipeline() as pipe:
        for payload, exchange, routing_key in batch:
            channel._do_restore_message(payload, exchange, routing_key, pipe)
        pipe.execute()
    del _held[: len(batch)]
    log.warning("Restored %s unacknowledged message(s) held when the broker went away", len(batch))
    return len(batch)


class RestoreHeldMessages(bootsteps.StartStopStep):
    """A consumer step: after each (re)connect, once the task queues are declared again, put back
    the messages the worker held when the broker went away (leadflow/celery.py adds it)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c):
        held_messages_restore(c.connection)


class FilesystemTransport(filesystem.Transport):
    """The embedded default's broker (a folder), with a short drain so Ctrl-C stops a worker at once.

    A worker on a polling transport runs celery's synloop, which drains for up to 2 s per cycle and
    runs one more cycle after it saw the shutdown flag: 4 s before the warm shutdown even starts, so
    `make run`'s process manager (honcho, 5 s) SIGKILLed the worker and the ETA checks it held were
    never restored (docs/operations.md). Draining at most DRAIN_SECONDS keeps the loop responsive.
    """

    DRAIN_SECONDS = 0.5

    def drain_events(self, connection, timeout=None):
        if timeout is not None:
            timeout = min(timeout, self.DRAIN_SECONDS)
        return super().drain_events(connection, timeout=timeout)
