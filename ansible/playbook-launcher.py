"""Runs one ansible-playbook for the Pressluft runner so that it never outlives the runner.

Usage: python3 playbook-launcher.py <ansible-playbook> <argument>...

The runner starts this script with an argument list and keeps its standard input open without writing to it. The
script starts ansible-playbook in a process group of its own and waits for it, passing its exit code on. When its
standard input closes (the runner died, even by kill -9: the kernel closes the pipe), or on SIGTERM, SIGINT or
SIGHUP (the runner's timeout, a stop), it kills that whole group and every other process started below it, then
exits. It makes itself the "child subreaper" of everything below it, so a process that leaves the group (WP-CLI run in
a session of its own by the health check module, a daemon) is still found and killed. Only the standard library is
used; nothing is read from the arguments but the command to run.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
KILLED_EXIT = 128 + signal.SIGKILL

# Re-entrant: a signal may arrive in the main thread while it is already killing.
_stop_lock = threading.RLock()
_stopping = False


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        # Not Linux: the process group kill below still applies.
        pass


def descendants():
    """Every process below this one, from /proc."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    found, pending = [], [os.getpid()]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def kill_everything(group):
    """Kills the playbook's process group, then whatever is left below this process, until nothing is."""
    global _stopping
    with _stop_lock:
        _stopping = True
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
        for _ in range(100):
            left = descendants()
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            reap()
            time.sleep(0.01)


def reap():
    """Collects exited children (orphans handed to this subreaper included) so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def watch_stdin(group):
    while True:
        try:
            data = os.read(0, 4096)
        except InterruptedError:
            continue
        except OSError:
            data = b""
        if not data:
            kill_everything(group)
            return


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: playbook-launcher.py <ansible-playbook> <argument>...\n")
        return 2
    become_subreaper()
    try:
        child = subprocess.Popen(argv[1:], stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        sys.stderr.write("playbook-launcher: could not start %s: %s\n" % (argv[1], error.strerror))
        return 127
    group = child.pid

    def on_signal(signum, frame):
        kill_everything(group)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    threading.Thread(target=watch_stdin, args=(group,), daemon=True).start()

    code = child.wait()
    if _stopping:
        kill_everything(group)
        return KILLED_EXIT
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
