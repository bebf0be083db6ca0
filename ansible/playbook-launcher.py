"""Runs one ansible-playbook for the Pressluft runner so that it never outlives the runner.

Usage: python3 playbook-launcher.py [--forward-first-line] <ansible-playbook> <argument>...

The runner starts this script with an argument list and keeps its standard input open without writing to it. The
script starts ansible-playbook in a process group of its own and waits for it, passing its exit code on. With
--forward-first-line the runner writes one line first (a preloaded ansible-playbook's arguments, see
playbook-preload.py): it is passed to the program's standard input, which is then closed; nothing else is read from it.
The program says it took the line by writing to the file descriptor named in PRESSLUFT_PRELOAD_ACK_FD; one that exits
without having said so never ran anything: the launcher prints NOT_STARTED_LINE on standard error and exits with code
75, so that the runner can start the run anew (a program's own exit code 75 comes without that line). When its
standard input closes (the runner died, even by kill -9: the kernel closes the pipe), or on SIGTERM, SIGINT or
SIGHUP (the runner's timeout, a stop), it kills that whole group and every other process started below it, then
exits. It makes itself the "child subreaper" of everything below it, so a process that leaves the group (WP-CLI run in
a session of its own by the health check module, a daemon) is still found and killed. Only the standard library is
used; nothing is read from the arguments but the option and the command to run, and the forwarded line is passed on
as it is, never read.
"""

import ctypes
import os
import sys
import time

# The low-level modules under `signal` and `threading`, and os.posix_spawn instead of `subprocess`: importing those three
# cost every run about 30 ms of CPU, half the launcher's, on the path of every verdict. `_thread` is documented;
# `_signal` is CPython's module that `signal` wraps in enums.
import _thread

try:
    import _signal as signal
except ImportError:
    import signal

PR_SET_CHILD_SUBREAPER = 36
KILLED_EXIT = 128 + signal.SIGKILL
NOT_STARTED_EXIT = 75
NOT_STARTED_LINE = "playbook-launcher: the program exited before it took its arguments"
# The forwarded line is cut here: a preloaded run's arguments are a few paths.
MAX_FIRST_LINE = 1 << 20

# Re-entrant: a signal may arrive in the main thread while it is already killing.
_stop_lock = _thread.RLock()
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


def watch_stdin(group, forward_to):
    """Waits for the runner's end of standard input to close; passes the first line on to forward_to, if given."""
    pending = b""
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
        if forward_to is not None:
            pending += data
            line, newline, _ = pending.partition(b"\n")
            if newline or len(pending) > MAX_FIRST_LINE:
                write_all(forward_to, line[:MAX_FIRST_LINE] + b"\n")
                os.close(forward_to)
                forward_to, pending = None, b""


def write_all(fd, data):
    """Writes data to fd, as far as the reader takes it (a program that exited takes nothing: EPIPE)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except InterruptedError:
            continue
        except OSError:
            return


def main(argv):
    forward = len(argv) > 1 and argv[1] == "--forward-first-line"
    command = argv[2:] if forward else argv[1:]
    if not command:
        sys.stderr.write("usage: playbook-launcher.py [--forward-first-line] <ansible-playbook> <argument>...\n")
        return 2
    become_subreaper()
    ack_read, ack_write = os.pipe() if forward else (None, None)
    stdin_read, stdin_write = os.pipe() if forward else (None, None)
    try:
        # Nothing but 0-2 and the acknowledgement pipe reaches the program, as with Popen's close_fds.
        close_on_exec_but(ack_write)
        if forward:
            os.set_inheritable(ack_write, True)
            environment = dict(os.environ, PRESSLUFT_PRELOAD_ACK_FD=str(ack_write))
            stdin = (os.POSIX_SPAWN_DUP2, stdin_read, 0)
        else:
            environment = os.environ
            stdin = (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)
        # A session and process group of its own, whose id is the program's pid; SIGPIPE and SIGXFSZ back to their
        # defaults, which Python ignores.
        group = os.posix_spawnp(command[0], command, environment, file_actions=[stdin], setsid=True,
                                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    except OSError as error:
        sys.stderr.write("playbook-launcher: could not start %s: %s\n" % (command[0], error.strerror))
        return 127
    finally:
        for fd in (ack_write, stdin_read):
            if fd is not None:
                os.close(fd)

    def on_signal(signum, frame):
        kill_everything(group)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    # Like a daemon thread: it ends with the main thread.
    _thread.start_new_thread(watch_stdin, (group, stdin_write))

    code = wait_for(group)
    if _stopping:
        kill_everything(group)
        return KILLED_EXIT
    if forward and not took_arguments(ack_read):
        kill_everything(group)
        sys.stderr.write(NOT_STARTED_LINE + "\n")
        return NOT_STARTED_EXIT
    return code


def close_on_exec_but(keep):
    """Marks every descriptor above 2 close-on-exec but keep: those this process inherited, and any other."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        # Not Linux: what Python opens itself is close-on-exec already.
        return
    for name in names:
        fd = int(name)
        if fd > 2 and fd != keep:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                # The descriptor listdir itself had open, closed by now.
                pass


def wait_for(pid):
    """The program's exit code as a shell gives it (128 + the signal that ended it); 0 when a kill in progress collected
    it first, which only happens while stopping."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def took_arguments(ack_read):
    """Whether the program said it took the forwarded line (it wrote to the acknowledgement pipe)."""
    os.set_blocking(ack_read, False)
    try:
        return os.read(ack_read, 1) == b"1"
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv))
