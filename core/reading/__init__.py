"""Paper in, data out: the text an OCR adapter recognised on a picture (with its positions) understood as a
delivery note's rows, number, date and supplier, and the rows matched to products."""
