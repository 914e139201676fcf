"""Partners: suppliers and customers."""
