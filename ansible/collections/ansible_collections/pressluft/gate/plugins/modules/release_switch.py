#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of the Pressluft release gate; see docs/ansible-execution.md.

DOCUMENTATION = r"""
module: release_switch
short_description: Points a site's current symlink back at an earlier release of the same site
description:
  - >-
    Refuses a target that is not C(<sites_root>/<site_id>/releases/<name>) by its path (no C(..), no other site) or
    that is not a real directory on the node (a symbolic link is refused).
  - >-
    Refuses when C(current) points at neither I(from_path) nor the target, because a newer release went live and
    this rollback is stale.
  - >-
    Switches C(current) atomically (a new link beside it, renamed over it). C(current) already at the target is
    accepted and left alone, so an interrupted rollback can run again.
  - >-
    Writes C(.pressluft-rolled-back) (JSON with the target, the reason code and the job ids) into the release it
    leaves, only when that is a real directory, never through a symbolic link.
  - Empties I(fastcgi_cache_path) when it is set, as far as it can: an entry it cannot remove is left with a warning,
    since C(current) is already switched.
  - Takes codes and ids only; I(reason_code) must look like a registered error code.
version_added: 1.0.0
author: Pressluft
options:
  sites_root:
    description: Where sites live on the node.
    type: str
    required: true
  site_id:
    description: The site (a UUID).
    type: str
    required: true
  release_path:
    description: The release to restore.
    type: str
    required: true
  from_path:
    description: The release being left.
    type: str
    required: true
  reason_code:
    description: Why, as a registered error code.
    type: str
    default: HEALTH_CHECK_FAILED
  job_id:
    description: The rollback job.
    type: str
    default: ""
  mutation_job_id:
    description: The mutation whose gate asked for the rollback.
    type: str
    default: ""
  fastcgi_cache_path:
    description: The FastCGI cache folder to empty; none when empty.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Point current at the prior release
  pressluft.gate.release_switch:
    sites_root: /var/www/sites
    site_id: 3f6c2d1e-0000-4000-8000-000000000001
    release_path: /var/www/sites/3f6c2d1e-0000-4000-8000-000000000001/releases/r41
    from_path: /var/www/sites/3f6c2d1e-0000-4000-8000-000000000001/releases/r42
"""

RETURN = r"""
from:
  description: The release left.
  returned: success
  type: str
to:
  description: The release now live.
  returned: success
  type: str
switched:
  description: Whether current was moved (false when it already pointed at the target).
  returned: success
  type: bool
purged:
  description: Entries removed from the FastCGI cache.
  returned: success
  type: int
"""

import json
import os
import re
import shutil
import stat

from ansible.module_utils.basic import AnsibleModule

MARKER = ".pressluft-rolled-back"
SITE_ID = re.compile(r"[0-9a-fA-F-]{36}")
REASON_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def is_real_directory(path):
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode)


def current_target(current):
    """Where current points (as written, and resolved), or None when it is not a symbolic link."""
    try:
        if not stat.S_ISLNK(os.lstat(current).st_mode):
            return None
        return os.readlink(current), os.path.realpath(current)
    except OSError:
        return None


def switch(current, target):
    temporary = "%s.pressluft-%d" % (current, os.getpid())
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(target, temporary)
    os.rename(temporary, current)


def write_marker(release, content):
    """Writes the marker into `release` through a directory descriptor opened without following links, replacing the
    file by rename, so neither the folder nor the marker can redirect the write. Returns whether it changed."""
    folder = os.open(release, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        # The folder is the tenant's release, so whatever sits at the marker's name was put there by the tenant: opened
        # without blocking (a FIFO would hold the read for good) and read only when it is a regular file of the
        # marker's size (a huge sparse file would fill the memory). Anything else is replaced below.
        try:
            existing = os.open(MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
            with os.fdopen(existing, "rb") as stream:
                found = os.fstat(stream.fileno())
                if stat.S_ISREG(found.st_mode) and found.st_size == len(content) and stream.read(len(content) + 1) == content:
                    return False
        except OSError:
            pass
        temporary = "%s.%d" % (MARKER, os.getpid())
        try:
            os.unlink(temporary, dir_fd=folder)
        except OSError:
            pass
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.rename(temporary, MARKER, src_dir_fd=folder, dst_dir_fd=folder)
        return True
    finally:
        os.close(folder)


def purge(cache):
    """Empties the cache folder as far as it can: (entries removed, entries left). It runs after the switch, and the
    folder is written by the web server, so by every site's PHP: an entry that cannot be removed (planted nested too
    deep, not ours to delete, swapped for a link meanwhile) is left and counted, never a reason to call a rollback that
    is done failed."""
    removed = left = 0
    try:
        with os.scandir(cache) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
                    removed += 1
                except (OSError, RecursionError):
                    left += 1
    except OSError:
        left += 1
    return removed, left


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sites_root=dict(type="str", required=True),
            site_id=dict(type="str", required=True),
            release_path=dict(type="str", required=True),
            from_path=dict(type="str", required=True),
            reason_code=dict(type="str", default="HEALTH_CHECK_FAILED"),
            job_id=dict(type="str", default=""),
            mutation_job_id=dict(type="str", default=""),
            fastcgi_cache_path=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    target, leaving, site_id = p["release_path"], p["from_path"], p["site_id"]
    site_path = p["sites_root"].rstrip("/") + "/" + site_id
    releases = site_path + "/releases"
    current = site_path + "/current"
    not_a_release = "%s is not a release directory of site %s" % (target, site_id)

    if not p["sites_root"].startswith("/") or not SITE_ID.fullmatch(site_id):
        module.fail_json(msg=not_a_release)
    if not REASON_CODE.fullmatch(p["reason_code"]):
        module.fail_json(msg="reason_code must be a registered error code")
    if (os.path.dirname(target) != releases or os.path.basename(target) in ("", ".", "..") or "/../" in target + "/"
            or os.path.dirname(leaving) != releases):
        module.fail_json(msg=not_a_release)
    if not is_real_directory(target):
        module.fail_json(msg=not_a_release)

    live = current_target(current)
    if live is None or not (set(live) & {leaving, target}):
        module.fail_json(msg="current points at %s, not at %s: a newer release went live, so this rollback is stale"
                         % (live[0] if live else "nothing", leaving))

    switched = target not in live
    if switched and not module.check_mode:
        switch(current, target)

    marked = False
    if leaving != target and is_real_directory(leaving) and not module.check_mode:
        content = json.dumps({"rolledBackTo": target, "reasonCode": p["reason_code"], "jobId": p["job_id"],
                              "mutationJobId": p["mutation_job_id"]}).encode("utf-8")
        marked = write_marker(leaving, content)

    purged = 0
    cache = p["fastcgi_cache_path"]
    if cache and not module.check_mode:
        if not cache.startswith("/"):
            module.fail_json(msg="fastcgi_cache_path must be an absolute path", **{"from": leaving, "to": target, "switched": switched})
        if os.path.isdir(cache):
            purged, left = purge(cache)
            if left:
                module.warn("%d entries of the FastCGI cache %s could not be removed" % (left, cache))

    module.exit_json(changed=switched or marked or purged > 0, switched=switched, purged=purged, **{"from": leaving, "to": target})


if __name__ == "__main__":
    main()
