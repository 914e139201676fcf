"""The stock ledger: positions with their rules, posting in constant statements, and the invariant check."""
