"""Starts ansible-playbook before its job is known, so a run does not wait for Ansible's own start-up.

Usage: <ansible-playbook's Python> playbook-preload.py <ansible-playbook>

The runner keeps one of these waiting (through playbook-launcher.py --forward-first-line, with the job folder, the
environment and the working directory the run will have). It imports what every ansible-playbook run imports first, the
slowest part of a run (about 0.6 s of CPU), then reads one line from standard input: a JSON list of ansible-playbook's
arguments, and says so to the launcher (PRESSLUFT_PRELOAD_ACK_FD). It then runs the ansible-playbook script itself with
those arguments, as the script runs when started directly: the same program and arguments, the script's own folder
first on sys.path, standard input empty. Configuration that Ansible reads at import (ANSIBLE_CONFIG, the environment)
is fixed when this starts; the runner starts a new one when that would differ. Nothing in the line is evaluated: it is
a list of strings handed to ansible-playbook's own argument parser, as the runner would otherwise pass them on the
command line.
"""

import os
import sys

# As when the script is started directly: its own folder (symbolic links followed) first on sys.path, not this
# file's; set before anything else is imported, so nothing beside this file can stand in for a module.
if len(sys.argv) == 2 and not getattr(sys.flags, "safe_path", False):
    sys.path[0] = os.path.dirname(os.path.realpath(sys.argv[1]))

import json  # noqa: E402  pylint: disable=wrong-import-position
import runpy  # noqa: E402  pylint: disable=wrong-import-position


def preload():
    """Imports ansible-playbook's modules; a missing or broken Ansible is left for the script itself to report."""
    try:
        import ansible.cli.playbook  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except (Exception, SystemExit):  # pylint: disable=broad-except
        pass


def read_arguments():
    line = sys.stdin.buffer.readline()
    if not line:
        # The launcher closed standard input without a line: the runner gave this one up.
        return None
    arguments = json.loads(line)
    if not isinstance(arguments, list) or not all(isinstance(a, str) and "\0" not in a for a in arguments):
        raise ValueError("the arguments line is not a JSON list of strings")
    acknowledge()
    return arguments


def acknowledge():
    """Tells the launcher the run is taken from here on (one that dies before this is started anew by the runner)."""
    descriptor = os.environ.pop("PRESSLUFT_PRELOAD_ACK_FD", None)
    if descriptor is not None:
        os.write(int(descriptor), b"1")
        os.close(int(descriptor))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: playbook-preload.py <ansible-playbook>\n")
        return 2
    program = os.path.abspath(argv[1])
    preload()
    arguments = read_arguments()
    if arguments is None:
        return 0
    # ansible-playbook is started with an empty standard input.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(0, "r", closefd=False)  # pylint: disable=consider-using-with
    sys.argv = [program] + arguments
    runpy.run_path(program, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
