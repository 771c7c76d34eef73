"""The channel API, version 1: one documented HTTP API for the mobile app and the integrations."""
