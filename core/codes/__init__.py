"""Codes on goods: barcodes read from photos and the GS1 element strings inside them."""
