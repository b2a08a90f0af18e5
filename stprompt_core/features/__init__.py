"""Feature store: what extraction writes and training reads."""
