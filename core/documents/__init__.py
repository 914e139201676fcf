"""Documents as people print and send them: one read model per kind (delivery note, purchase order, goods received
note, statement, stocktake sheet), permissions checked here; the rendering lives in bot/documents."""
