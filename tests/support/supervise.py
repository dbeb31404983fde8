"""Run a command again whenever it exits, under a memory cap, at a low CPU priority and on one
CPU: how docs/sparql.md advises running the remote SPARQL replica (there on a machine of its
own, with systemd's MemoryMax= and Restart=always). Used by the remote knock-over test.

    python tests/support/supervise.py --data-mb 1024 --nice 19 [--one-cpu] -- oxigraph serve …

The command dies with the supervisor (PR_SET_PDEATHSIG), so killing the supervisor is enough.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal
import subprocess
import time

PR_SET_PDEATHSIG = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-mb", type=int, required=True,
                        help="RLIMIT_DATA of the command, in MiB")
    parser.add_argument("--nice", type=int, default=0)
    parser.add_argument("--one-cpu", action="store_true",
                        help="keep the command on one CPU (the last), as on a machine of its own")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    limit = args.data_mb * 1024 * 1024
    libc = ctypes.CDLL(None, use_errno=True)

    def in_child() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.nice(args.nice)
        if args.one_cpu:
            os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    while True:
        subprocess.run(command, preexec_fn=in_child, check=False)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
