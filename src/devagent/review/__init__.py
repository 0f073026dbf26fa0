"""Local code review: what to review, the ReportFinding tool, the runner and output formats.

``targets`` decides what is reviewed and splits it into requests; ``findings`` owns the
Finding model (validation, dedupe, order, fingerprints); ``report_tool`` is the model's way to
report one; ``runner`` runs one read-only agent per request; ``formats`` renders the report
as markdown, json, sarif or github annotations. Nothing here prints.
"""
