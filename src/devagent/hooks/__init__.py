"""Claude Code hooks: commands the user configures to run at points of a session.

- ``config``: which commands, read from the ``hooks`` key of every settings source;
- ``runner``: running one event's commands in parallel, each in its own process group;
- ``outcome``: what they said (exit codes and JSON stdout), merged into one answer;
- ``dispatch``: ``Hooks``, the event payloads and firing them for a session;
- ``permission``: a PreToolUse decision applied after the permission policy's;
- ``calls``: what the agent loop does with PreToolUse, PostToolUse and Stop answers;
- ``session``: what a conversation does with SessionStart, UserPromptSubmit, PreCompact and
  SessionEnd;
- ``notify``: Notification when devagent waits for the user's answer.
"""
