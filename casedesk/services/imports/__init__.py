"""Imports and exports: files in, files out (issue 6).

``run_import`` reads CSV / JSON Lines / XLSX files (or mbox / Maildir / .eml for
``emails``), maps and validates every row, and writes in batches; ``export_records``
writes a kind back out in the same shape. See the modules for the rules.
"""

from casedesk.services.imports.export import FORMATS, export_records
from casedesk.services.imports.run import KIND_NAMES, run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary

__all__ = [
    "FORMATS",
    "KIND_NAMES",
    "ImportOptions",
    "ImportSummary",
    "export_records",
    "run_import",
]
