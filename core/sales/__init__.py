"""Sales: sales orders, shipments and returns."""
