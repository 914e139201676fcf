"""Purchasing: purchase orders, receipts, returns and replenishment."""
