"""Stock: moves in and out, transfers, stocktakes, undo, and reading levels."""
