"""The query process's second lock: it cannot open a network connection, whatever it is asked.

The guard (opendata/sparqlguard.py) refuses SERVICE from the query's tokens; should a spelling
ever get past it, pyoxigraph would send an HTTP request from the query process to a server of
the sender's choosing (inside the register's network). So the query process installs a seccomp
filter before it takes its first task: socket() for any family but AF_UNIX (its pipe to the
web process is a Unix socket pair) fails with EPERM, and so does io_uring_setup (io_uring can
open and connect sockets without the socket system call). no_new_privs is set, as seccomp
requires of an unprivileged process; the filter covers every thread (TSYNC), and a system call
of another architecture's table (i386 `socketcall` through `int 0x80`) kills the process
(libseccomp's default for a foreign architecture). A filter cannot be removed once loaded.

libseccomp is loaded through pyseccomp (ctypes, the system's libseccomp.so.2). Without it the
query processes are not started at all and /sparql answers 503 saying why: the register never
runs public queries without this lock (docs/sparql.md, "Two locks").
"""

from __future__ import annotations

import errno
import socket


class NetworkLockUnavailable(RuntimeError):
    """The seccomp filter cannot be installed on this system."""


def _seccomp():
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError) as exc:       # RuntimeError: no libseccomp
        raise NetworkLockUnavailable(
            "The SPARQL query processes need libseccomp (Debian/Ubuntu: libseccomp2) to lock "
            f"themselves out of the network, and it could not be loaded ({exc}); /sparql runs "
            "no query without that lock.") from None
    return pyseccomp


def check_available() -> None:
    """Raises NetworkLockUnavailable when lock_network() could not work here (nothing loaded)."""
    seccomp = _seccomp()
    try:
        _network_filter(seccomp)
    except OSError as exc:
        raise NetworkLockUnavailable(f"A seccomp filter cannot be built here: {exc}") from None


def _network_filter(seccomp):
    denied = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for call in ("socket", "socketpair"):
        rules.add_rule(denied, call, seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    rules.add_rule(denied, "io_uring_setup")
    rules.set_attr(seccomp.Attr.CTL_NNP, 1)
    rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    return rules


def lock_network() -> None:
    """From now on this process (every thread of it) cannot create a network socket."""
    seccomp = _seccomp()
    try:
        _network_filter(seccomp).load()
    except OSError as exc:
        raise NetworkLockUnavailable(f"The seccomp filter could not be loaded: {exc}") from None
