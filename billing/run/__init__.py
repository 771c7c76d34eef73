"""The monthly run: what each meter is charged for a month, billed chunk by chunk.

- `plan`: the decision for one meter and month (pure, no Django);
- `selectors`: a chunk's inputs, tariffs, norms and rules, read set-based;
- `writes`: a chunk's charges and billing states by COPY;
- `services`: start a pass, bill a chunk (charges and the supplier's invoices in one transaction), finish;
- `interim`: the interim charges of a customer's "Generate invoice".
"""
