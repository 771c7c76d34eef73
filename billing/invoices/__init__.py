"""Invoices: what the supplier and the customer issue, and how a mistake is cancelled.

- `content`: what an invoice prints, from plain rows (pure, no Django);
- `texts`: texts printed on invoices and in their QR that do not depend on the language (pure);
- `selectors`: the facts, pending charges and payments, and the accounts a pass invoices;
- `writes`: the rows by COPY;
- `services`: issue (set-based, one row builder), the customer's "Generate invoice", void and reissue.
The PDF is `billing.documents`, its delivery `billing.delivery`, payments `billing.payments`.
"""
