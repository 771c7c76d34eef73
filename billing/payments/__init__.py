"""Payments: money coming in and the invoices it settles.

- `services.py`: booking (one write for every source: statements, card callbacks, staff), a queued statement
  line assigned by staff, and invoice statuses recomputed from what was booked;
- `selectors.py`: an account's payment history, and the reads a statement import makes before it books;
- `statement_import.py`: a bank statement matched to accounts, booked, the rest queued for staff;
- `statements/`: the bank formats (1C, camt.053/054, bank CSVs, the portal's CSV) read into one shape;
- `matching.py` and `amounts.py` (pure): account numbers in a payment's purpose, amounts as statements write them;
- `acquiring.py` (pure): the card acquirer (LiqPay) behind a two-method interface; `card.py`: card orders booked
  from the verified callback;
- `views.py` and `admin.py`: the cabinet's payments and "Pay" pages; the staff queue and card payments.
The models stay in `billing.models`; the `import_payments` command is in `billing/management/commands/`.
"""
