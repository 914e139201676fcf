"""The catalogue: products, units, barcodes and warehouses, and how people name them."""
