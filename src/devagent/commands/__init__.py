"""Sub-commands mounted on the main devagent app."""
