"""Helpers shared by the platform-integration tests (private D-Bus, fake services, data)."""
