"""Delivery: telling customers by email (through the outbox) that an invoice is ready, and after pass
`final` which meters were estimated.

- `rules`: whether an invoice is news to a person, whether the norm comes next (pure, no Django);
- `selectors`: who is told, and the estimates a final pass made by account;
- `services`: "your invoice is ready" and the estimate notices of a chunk of accounts.
The PDF itself is `billing.documents`.
"""
