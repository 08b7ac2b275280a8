"""A seccomp filter for a student's kernel: no new namespaces, no mounts, no kernel extras.

The kernel runs with no capabilities it could use, but the Linux kernel still offers an
unprivileged process many doors that a notebook never needs: new user namespaces (and
with them capabilities inside, and the kernel code behind them), mounts, ptrace, BPF,
keyrings, io_uring, userfaultfd, perf events, memory files (memfd_create: memory that
belongs to no process's resident set, out of reach of every per-process limit). The
filter closes them, for every thread
of the kernel and every process it starts: each such call fails with EPERM (clone3 with
ENOSYS, so that the C library falls back to clone, whose namespace flags are checked).

The program is classic BPF, assembled here (no library needed): it checks the
architecture (x86-64, the only one MXNet runs on), refuses the x32 ABI, then the calls.
"""
import ctypes
import errno
import os
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1
SYS_SECCOMP, SYS_CLONE, SYS_CLONE3, SYS_UNSHARE = 317, 56, 435, 272
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET; and NEWTIME (0x80).
NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | \
    0x20000000 | 0x40000000 | 0x00000080

# x86-64 numbers of the calls a notebook never needs (each fails with EPERM).
REFUSED = {
    "ptrace": 101, "syslog": 103, "pivot_root": 155, "chroot": 161, "acct": 163,
    "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169,
    "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
    "init_module": 175, "delete_module": 176, "quotactl": 179, "lookup_dcookie": 212,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250,
    "unshare": SYS_UNSHARE, "perf_event_open": 298, "fanotify_init": 300,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313,
    "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_getfd": 438,
    "mount_setattr": 442, "memfd_create": 319, "memfd_secret": 447,
}


def _insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def program():
    """The filter as bytes of struct sock_filter."""
    refuse = RET_ERRNO | errno.EPERM
    out = [_insn(LD_W_ABS, 4),                                  # seccomp_data.arch
           _insn(JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
           _insn(RET_K, RET_KILL_PROCESS),
           _insn(LD_W_ABS, 0),                                  # seccomp_data.nr
           _insn(JGE_K, X32_SYSCALL_BIT, 0, 1),
           _insn(RET_K, refuse),
           _insn(JEQ_K, SYS_CLONE3, 0, 1),
           _insn(RET_K, RET_ERRNO | errno.ENOSYS)]
    for nr in sorted(set(REFUSED.values())):
        out += [_insn(JEQ_K, nr, 0, 1), _insn(RET_K, refuse)]
    out += [_insn(JEQ_K, SYS_CLONE, 0, 3),
            _insn(LD_W_ABS, 16),                                # args[0], low half: the flags
            _insn(JSET_K, NAMESPACE_FLAGS, 0, 1),
            _insn(RET_K, refuse),
            _insn(RET_K, RET_ALLOW)]
    return b"".join(out)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported():
    """True where the filter applies: Linux on x86-64."""
    return platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")


def install():
    """Load the filter for every thread of this process (no_new_privs must be set first)."""
    code = program()
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _Fprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(SYS_SECCOMP), ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(fprog))
    if result != 0:
        err = ctypes.get_errno()
        why = "a thread could not take the filter" if result > 0 else os.strerror(err)
        raise OSError(err, f"seccomp: {why}")
