"""The conversation engine: platform-neutral flows with their state in the database."""
