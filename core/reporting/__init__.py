"""Reporting: reports, the dashboard, saved reports."""
