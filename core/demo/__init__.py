"""The demo company and its month of history."""
