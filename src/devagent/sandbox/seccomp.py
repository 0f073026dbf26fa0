"""A seccomp filter that stops sandboxed commands from opening Unix-domain sockets.

A separate network namespace cuts TCP/UDP and abstract sockets, but a socket *file* on the
host stays reachable through the file system: ``/var/run/docker.sock``, a tmux or screen
server in ``/tmp``, the D-Bus session bus (``systemd-run --user``), an ssh or gpg agent. Each
is a way to run a command outside the sandbox. So ``socket(AF_UNIX, ...)`` fails with EPERM;
``socketpair`` (anonymous, used by many runtimes for their own pipes) still works.

The filter is a classic BPF program, built here without libseccomp, and given to bwrap with
``--seccomp FD``. It knows x86_64 (with x32 and i386, whose ``socketcall`` multiplexer it
cannot inspect and so refuses) and aarch64 (with 32-bit arm); on any other architecture
``filter_program`` returns None and the sandbox runs without it.
"""

from __future__ import annotations

import platform
import struct
from collections.abc import Sequence
from dataclasses import dataclass

AF_UNIX = 1
EPERM = 1
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


@dataclass(frozen=True)
class _Arch:
    audit: int
    socket: tuple[int, ...]  # syscall numbers of socket(2)
    refused: tuple[int, ...] = ()  # calls refused whatever their arguments (socketcall)


_X86_64 = _Arch(0xC000003E, (41, 0x40000000 | 41))
_I386 = _Arch(0x40000003, (359,), (102,))
_AARCH64 = _Arch(0xC00000B7, (198,))
_ARM = _Arch(0x40000028, (281,))
_BY_MACHINE: dict[str, tuple[_Arch, ...]] = {
    "x86_64": (_X86_64, _I386),
    "amd64": (_X86_64, _I386),
    "aarch64": (_AARCH64, _ARM),
    "arm64": (_AARCH64, _ARM),
}


def filter_program(machine: str | None = None) -> bytes | None:
    """The filter for ``machine`` (default: this one) as bytes for ``--seccomp``, or None."""
    arches = _BY_MACHINE.get((machine or platform.machine()).lower())
    return None if arches is None else _assemble(_program(arches))


# An instruction: (code, jump-if-true label, jump-if-false label, k); labels are resolved to
# the relative offsets classic BPF wants. A label is the name of a later block.
_Insn = tuple[int, str | None, str | None, int]


def _program(arches: Sequence[_Arch]) -> list[tuple[str, list[_Insn]]]:
    blocks: list[tuple[str, list[_Insn]]] = []
    dispatch: list[_Insn] = [(_LD_W_ABS, None, None, _OFF_ARCH)]
    for index, arch in enumerate(arches):
        dispatch.append((_JEQ_K, f"arch{index}", None, arch.audit))
    dispatch.append((_RET_K, None, None, _RET_ALLOW))
    blocks.append(("start", dispatch))
    for index, arch in enumerate(arches):
        body: list[_Insn] = [(_LD_W_ABS, None, None, _OFF_NR)]
        body += [(_JEQ_K, "deny", None, nr) for nr in arch.refused]
        body += [(_JEQ_K, "check_family", None, nr) for nr in arch.socket]
        body.append((_RET_K, None, None, _RET_ALLOW))
        blocks.append((f"arch{index}", body))
    check: list[_Insn] = [(_LD_W_ABS, None, None, _OFF_ARG0), (_JEQ_K, "deny", None, AF_UNIX)]
    check.append((_RET_K, None, None, _RET_ALLOW))
    blocks.append(("check_family", check))
    blocks.append(("deny", [(_RET_K, None, None, _RET_ERRNO | EPERM)]))
    return blocks


def _assemble(blocks: list[tuple[str, list[_Insn]]]) -> bytes:
    where: dict[str, int] = {}
    position = 0
    for label, body in blocks:
        where[label] = position
        position += len(body)
    out = bytearray()
    position = 0
    for _, body in blocks:
        for code, if_true, if_false, k in body:
            jt = where[if_true] - position - 1 if if_true else 0
            jf = where[if_false] - position - 1 if if_false else 0
            out += struct.pack("=HBBI", code, jt, jf, k)
            position += 1
    return bytes(out)
