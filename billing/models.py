"""Billing models arrive with the charge-run issue; the app exists so the layout is complete."""
