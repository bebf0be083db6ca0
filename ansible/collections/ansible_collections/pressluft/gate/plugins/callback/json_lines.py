# -*- coding: utf-8 -*-
# Part of the Pressluft release gate; see docs/ansible-execution.md.

DOCUMENTATION = r"""
name: json_lines
type: stdout
short_description: One JSON object per line for each host result, read by the Pressluft runner
description:
  - >-
    Prints every task result as it arrives, one line each, so the runner can act on one host while others still run:
    an object with event C(result), C(host), C(task), C(action), C(status) (C(ok), C(failed), C(ignored),
    C(unreachable) or C(skipped)) and C(result), the module's own return value (internal keys and the module's
    arguments left out, long texts shortened).
  - >-
    At the end, one object per host with event C(recap) and the counts C(ok), C(changed), C(failed), C(unreachable),
    C(skipped), C(rescued) and C(ignored).
  - >-
    Results are serialised with C(json.dumps) exactly as they came back from the node; nothing is templated, so what a
    node prints stays data. Lines are flushed one by one.
version_added: 1.0.0
author: Pressluft
"""

import json
import sys

from ansible.plugins.callback import CallbackBase

TEXT_LIMIT = 2000
LEFT_OUT = frozenset(["invocation", "stdout_lines", "stderr_lines", "diff"])


def _shorten(value):
    if isinstance(value, str):
        return value if len(value) <= TEXT_LIMIT else value[:TEXT_LIMIT] + "...(shortened)"
    if isinstance(value, dict):
        return {str(k): _shorten(v) for k, v in value.items() if not str(k).startswith("_ansible") and k not in LEFT_OUT}
    if isinstance(value, (list, tuple)):
        return [_shorten(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "pressluft.gate.json_lines"

    def _emit(self, event):
        self._display.display(json.dumps(event, sort_keys=True, ensure_ascii=True, default=str))
        # Display leaves flushing to the end of the run; the runner reads each line as it comes.
        sys.stdout.flush()

    def _result(self, result, status):
        task = result._task
        self._emit({
            "event": "result",
            "host": result._host.get_name(),
            "task": task.get_name(),
            "action": getattr(task, "resolved_action", None) or task.action,
            "status": status,
            "result": _shorten(result._result),
        })

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            self._emit({
                "event": "recap",
                "host": host,
                "ok": summary["ok"],
                "changed": summary["changed"],
                "failed": summary["failures"],
                "unreachable": summary["unreachable"],
                "skipped": summary["skipped"],
                "rescued": summary["rescued"],
                "ignored": summary["ignored"],
            })
