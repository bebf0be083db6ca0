#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of the Pressluft release gate; see docs/ansible-execution.md and docs/health-checks.md.

DOCUMENTATION = r"""
module: health_checks
short_description: Checks the live release of a WordPress environment
description:
  - Runs the release gate's required checks in one module run, so one playbook task measures a release, and
    reports each check as C(passed), C(failed) (measured and wrong) or C(inconclusive) (could not be measured).
  - C(http) requests I(url) and passes on status 200. C(wp_core_installed) runs C(wp core is-installed) and
    C(db_connectivity) runs C(wp db query "SELECT 1"), both with C(--path=<release_path>) as argument lists, never
    through a shell. With I(fatal_markers), C(fatal_markers) fails when the page holds one of them.
  - Every attempt has its own time limit of I(timeout) seconds, wall clock, however the other side dribbles its
    answer; a check that did not pass is tried again up to I(retries) times after I(retry_delay) seconds. The two
    WP-CLI checks run beside the HTTP check, so the module takes about as long as its slowest check.
  - Of each WP-CLI output stream only the first 64 KB is kept (the rest is read and dropped), however much the site
    prints within the time limit.
  - A check passes when an attempt passed, fails when an attempt measured something wrong (an HTTP status other
    than 200, a WP-CLI exit code other than 0), and is inconclusive otherwise (time limit, no connection, WP-CLI
    could not start or was killed by a signal).
  - The task fails when a check did not pass; C(checks) is returned either way.
version_added: 1.0.0
author: Pressluft
options:
  url:
    description: The environment's URL (http or https).
    type: str
    required: true
  release_path:
    description: The release directory WP-CLI runs in (C(--path)).
    type: str
    required: true
  wp_cli:
    description: The WP-CLI executable.
    type: str
    default: wp
  timeout:
    description: Time limit of one attempt, in seconds.
    type: int
    default: 10
  retries:
    description: Further attempts of a check that did not pass.
    type: int
    default: 1
  retry_delay:
    description: Pause before another attempt, in seconds.
    type: float
    default: 1
  validate_certs:
    description: Whether to verify the TLS certificate of an https URL.
    type: bool
    default: true
  fatal_markers:
    description: Texts that must not appear in the page; no C(fatal_markers) check when empty.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the live release
  pressluft.gate.health_checks:
    url: https://shop.example.net/
    release_path: /var/www/sites/3f6c.../releases/r42
"""

RETURN = r"""
checks:
  description: One entry per check.
  returned: always
  type: list
  elements: dict
  contains:
    check: {description: "C(http), C(wp_core_installed), C(db_connectivity) or C(fatal_markers).", type: str}
    outcome: {description: "C(passed), C(failed) or C(inconclusive).", type: str}
    detail: {description: What was seen (short); may quote the node's output, which is data, never a template., type: str}
    attempts: {description: How many attempts ran., type: int}
    durationMs: {description: Time spent on the check, all attempts and pauses together., type: int}
"""

import http.client as http_client
import os
import selectors
import signal
import ssl
import subprocess
import threading
import time
import urllib.request
import zlib
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

PASSED = "passed"
FAILED = "failed"
INCONCLUSIVE = "inconclusive"

DETAIL_LIMIT = 300
BODY_LIMIT = 1024 * 1024
# What is kept of each WP-CLI output stream; only the start of it is ever quoted.
OUTPUT_LIMIT = 64 * 1024


class AttemptTimedOut(Exception):
    """Raised in the main thread when an attempt's wall-clock limit passes."""


def _raise_timed_out(signum, frame):
    raise AttemptTimedOut()


class WallClockLimit(object):
    """Interrupts the main thread after `seconds` (SIGALRM), even inside a blocking read that keeps receiving a
    byte now and then, which a socket timeout alone never ends."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.previous = None

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, _raise_timed_out)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc_info):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


def _short(text):
    text = to_text(text, errors="surrogate_or_replace").strip()
    return text if len(text) <= DETAIL_LIMIT else text[:DETAIL_LIMIT - 3] + "..."


def _read_body(response, wanted):
    """The page (at most BODY_LIMIT, also once un-gzipped), as text; empty when it cannot be read."""
    if not wanted or response is None:
        return None
    try:
        data = response.read(BODY_LIMIT)
        if (response.headers.get("Content-Encoding") or "").strip().lower() in ("gzip", "x-gzip"):
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, BODY_LIMIT)
        return to_text(data, errors="surrogate_or_replace")
    except (OSError, http_client.HTTPException, zlib.error, EOFError):
        return ""


class _HttpRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect of the GET to another http or https URL only (never ftp, file or data): a redirect elsewhere
    is the site's answer, reported as its status. 308 is followed on every Python (the standard library knows it from
    3.11 on); for a GET it means what 307 does."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlparse(newurl).scheme.lower() not in ("http", "https"):
            raise HTTPError(req.full_url, code, "redirect to a URL that is not http or https", headers, fp)
        return super(_HttpRedirects, self).redirect_request(req, fp, 307 if code == 308 else code, msg, headers, newurl)

    http_error_308 = urllib.request.HTTPRedirectHandler.http_error_302


def _opener(validate_certs):
    """HTTP and HTTPS only (standard library; Ansible's module_utils.urls would cost every check's process far more to
    load than the GET itself), with proxies from the environment as urllib reads them."""
    context = ssl.create_default_context()
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(context=context),
                    _HttpRedirects(), urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def http_attempt(url, timeout, validate_certs, want_body):
    """One GET under a wall-clock limit: (outcome, detail, body or None)."""
    try:
        with WallClockLimit(timeout):
            try:
                request = urllib.request.Request(url, method="GET", headers={"User-Agent": "pressluft-health-check"})
                response = _opener(validate_certs).open(request, timeout=timeout)
                status = response.getcode()
                body = _read_body(response, want_body)
                response.close()
            except HTTPError as error:
                # A status other than 2xx: an answer, so a measurement.
                status = error.code
                body = _read_body(error, want_body)
                error.close()
        return (PASSED if status == 200 else FAILED), "HTTP %d" % status, body
    except AttemptTimedOut:
        return INCONCLUSIVE, "no complete answer within %d s" % timeout, None
    except http_client.RemoteDisconnected:
        return INCONCLUSIVE, "the server closed the connection without answering", None
    except http_client.HTTPException as error:
        # The server answered, but not with HTTP: a measurement, and a wrong one.
        return FAILED, "not an HTTP answer: %s" % _short(repr(error)), None
    except (URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return INCONCLUSIVE, "no answer: %s" % _short(str(reason)), None


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    process.wait()


def _drain(process, deadline):
    """Reads the command's stdout and stderr until both end, keeping the first OUTPUT_LIMIT bytes of each: the rest is
    read and dropped, so a site whose PHP prints without end costs the node no memory. None when the deadline passed
    first."""
    kept = {process.stdout: bytearray(), process.stderr: bytearray()}
    with selectors.DefaultSelector() as selector:
        for stream in kept:
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = kept[key.fileobj]
                room = OUTPUT_LIMIT - len(buffer)
                if room > 0:
                    buffer += chunk[:room]
    return bytes(kept[process.stdout]), bytes(kept[process.stderr])


def command_attempt(argv, timeout):
    """One WP-CLI run under a wall-clock limit: (outcome, detail). The command gets a process group of its own, so
    the whole group (PHP and anything it started) is killed at the limit."""
    deadline = time.monotonic() + timeout
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   close_fds=True, start_new_session=True)
    except OSError as error:
        return INCONCLUSIVE, "could not start %s: %s" % (_short(argv[0]), _short(error.strerror or str(error)))
    try:
        output = _drain(process, deadline)
        if output is not None:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        output = None
    finally:
        if process.returncode is None:
            _kill_group(process)
        for stream in (process.stdout, process.stderr):
            stream.close()
    if output is None:
        return INCONCLUSIVE, "did not finish within %d s" % timeout
    stdout, stderr = output
    if process.returncode < 0:
        return INCONCLUSIVE, "killed by signal %d" % -process.returncode
    if process.returncode == 0:
        return PASSED, "exit 0"
    said = stderr.strip() or stdout.strip()
    return FAILED, "exit %d: %s" % (process.returncode, _short(said))


def run_check(name, attempt, retries, retry_delay):
    """Runs attempts until one passes or none is left; `attempt` returns (outcome, detail, extra)."""
    started = time.monotonic()
    outcomes = []
    details = []
    extra = None
    for number in range(1, retries + 2):
        outcome, detail, extra = attempt()
        outcomes.append(outcome)
        if not details or details[-1] != detail:
            details.append(detail)
        if outcome == PASSED or number > retries:
            break
        time.sleep(retry_delay)
    if PASSED in outcomes:
        final = PASSED
    elif FAILED in outcomes:
        final = FAILED
    else:
        final = INCONCLUSIVE
    return {
        "check": name,
        "outcome": final,
        "detail": _short(", then ".join(details)) if final != PASSED else details[-1],
        "attempts": len(outcomes),
        "durationMs": int((time.monotonic() - started) * 1000),
    }, extra


def fatal_marker_check(markers, body):
    if body is None:
        return {"check": "fatal_markers", "outcome": INCONCLUSIVE, "detail": "no page to read", "attempts": 1, "durationMs": 0}
    found = [marker for marker in markers if marker in body]
    return {
        "check": "fatal_markers",
        "outcome": FAILED if found else PASSED,
        "detail": _short("found: " + ", ".join(found)) if found else "none found",
        "attempts": 1,
        "durationMs": 0,
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            release_path=dict(type="str", required=True),
            wp_cli=dict(type="str", default="wp"),
            timeout=dict(type="int", default=10),
            retries=dict(type="int", default=1),
            retry_delay=dict(type="float", default=1),
            validate_certs=dict(type="bool", default=True),
            fatal_markers=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    url = params["url"]
    if not (url.startswith("http://") or url.startswith("https://")):
        module.fail_json(msg="url must be an http or https URL")
    if not params["release_path"].startswith("/"):
        module.fail_json(msg="release_path must be an absolute path")
    if not 1 <= params["timeout"] <= 3600 or not 0 <= params["retries"] <= 10 or not 0 <= params["retry_delay"] <= 600:
        module.fail_json(msg="timeout must be 1-3600 s, retries 0-10 and retry_delay 0-600 s")

    timeout, retries, delay = params["timeout"], params["retries"], params["retry_delay"]
    path_argument = "--path=" + params["release_path"]
    wp_checks = [
        ("wp_core_installed", [params["wp_cli"], "core", "is-installed", path_argument]),
        ("db_connectivity", [params["wp_cli"], "db", "query", "SELECT 1", path_argument]),
    ]
    results = {}

    def run_wp_check(name, argv):
        try:
            results[name], _ = run_check(name, lambda: command_attempt(argv, timeout) + (None,), retries, delay)
        except Exception as error:  # pylint: disable=broad-except
            # Whatever went wrong here measured nothing: the check is inconclusive, never failed.
            results[name] = {"check": name, "outcome": INCONCLUSIVE, "detail": _short("crashed: %r" % error), "attempts": 0, "durationMs": 0}

    # WP-CLI checks in threads beside the HTTP check; the HTTP check stays in the main thread, where SIGALRM lands.
    threads = [threading.Thread(target=run_wp_check, args=check) for check in wp_checks]
    for thread in threads:
        thread.start()
    markers = params["fatal_markers"]
    http, body = run_check("http", lambda: http_attempt(url, timeout, params["validate_certs"], bool(markers)), retries, delay)
    for thread in threads:
        thread.join()

    checks = [http] + [results[name] for name, _ in wp_checks]
    if markers:
        checks.append(fatal_marker_check(markers, body))
    not_passed = [check for check in checks if check["outcome"] != PASSED]
    if not_passed:
        module.fail_json(msg="Health check did not pass: " + ", ".join("%s %s" % (c["check"], c["outcome"]) for c in not_passed),
                         changed=False, checks=checks)
    module.exit_json(changed=False, checks=checks)


if __name__ == "__main__":
    main()
