"""Approvals: rules by document type and amount, requests passing level by level."""
