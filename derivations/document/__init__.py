"""Check any document's derivations step by step (Markdown, LaTeX, plain text)."""

from derivations.document.engine import check_document, check_steps
from derivations.document.records import DocumentResult, StepRecord

__all__ = ["DocumentResult", "StepRecord", "check_document", "check_steps"]
