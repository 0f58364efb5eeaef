"""The hub's own outbox handlers (step apps register theirs in their AppConfig.ready)."""

from . import entry, outbox, services

outbox.register(services.TOPIC_HANDOFF_OPENED, services.handoff_notify_receiver, batch=True)
services.reaction_register("submit", entry.on_submitted)
