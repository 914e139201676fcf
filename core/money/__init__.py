"""Money: receivables, payables, payments, other income and expenses."""
