"""Documents: an issued invoice as a page and a PDF, and the print batches of the paper copies, always from
the invoice's own copies.

- `lines`: the rows an invoice prints, grouped by month and meter with their readings (pure, no Django);
- `render`: the HTML of the invoice's page in its language (the cabinet's page, the print view);
- `pdf`: WeasyPrint lays the HTML out as the PDF (stylesheet and fonts built once per process);
- `selectors`: the paper invoices waiting for a batch, a batch's invoices;
- `services`: store an invoice's PDF (then its customers are told), build and mark print batches.
The emails that go with a PDF are `billing.delivery`.
"""
