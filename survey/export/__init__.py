"""Research exports: flatten.py (columns, rows, codebook), source.py (database), build.py
(an export in the making), writers.py (one small writer per format)."""
