"""Bash in a bubblewrap sandbox (Linux): settings, the bwrap probe, the file-system layout, the
launcher the Bash tool runs commands through, and the permission gate that knows about it.

Public surface: ``load_sandbox_settings`` and ``SandboxSettings`` (``config``), ``Sandbox``
(``launcher``; the Bash tool's ``Launcher``), ``SandboxGate`` (``gate``; a
``PermissionPolicy`` wrapper). Nothing here runs at import time, and bwrap is only probed
when a run with a sandbox mode other than ``off`` starts.
"""
