"""What a command line can do that its program's name does not say.

The permission engine (``devagent.permissions``) and the command analysis
(``devagent.bashparse``) ask this package three questions about one command's argv:

- ``options``: how a GNU-style program reads its arguments (long-option abbreviations,
  values attached to short options, optional values, clusters, ``--``);
- ``programs``: whether a program we claim to understand runs code or writes files through
  an option or a script (sed, awk, tar, git, find, fd, rg, sort, less, more, man, make,
  go, cargo, npm/pnpm/yarn, just) and which commands it would run;
- ``wrappers``: which programs run another command, and where that command starts.

Everything here is pure: argv in, verdict out; nothing is run or read from disk.
"""
