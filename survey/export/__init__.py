"""Research exports.

flatten.py (columns, rows, codebook), source.py (responses read from the database),
model.py (the Export every format shares, Format, ExportError), formats/ (one module per
format and the registry of them all), names.py, documentation.py and statistical.py (what
several formats share), build.py (an export in the making), files.py (export files on disk),
jobs.py (export jobs and their audit, in the caller's transaction), worker.py (a job's
background process).
"""
