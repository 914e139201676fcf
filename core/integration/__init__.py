"""Integration: the outbox, outbound webhooks and bulk imports."""
