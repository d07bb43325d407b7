"""Integrations: the outbound event feed for other systems (polling and signed webhooks)."""
