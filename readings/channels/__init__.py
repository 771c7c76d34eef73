"""Channels that pass readings from outside the site: SMS (a gateway's webhook) and the Telegram bot."""
