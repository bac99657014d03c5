"""Imports and exports: files in, files out (issue 6).

``run.run_import`` reads CSV / JSON Lines / XLSX files (or mbox / Maildir / .eml for
``emails``), maps and validates every row, and writes in batches; ``export.export_records``
writes a kind back out in the same shape. What each kind of record is lives in
``kinds/``. May import the models, ``casedesk.db``, the other service packages and pure
helpers; never the UI or the CLI.
"""
