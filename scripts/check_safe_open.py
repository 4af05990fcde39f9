#!/usr/bin/env python3
"""check_safe_open.py — fails on a call that opens, creates or looks up a file by path in the
folders whose code touches an unpacked archive or a run's working folder (runner/,
configversions/, registry/), unless it is in ALLOWED below with the reason it cannot reach such a
folder. Everything inside those folders goes through base/beneath.h (relative to the folder's
descriptor, no links, never out of it): a new open() there fails this check until it does."""
import os
import re
import sys

FOLDERS = ["runner", "configversions", "registry"]
CALLS = ["open", "openat", "fopen", "freopen", "creat", "opendir", "stat", "lstat", "fstatat",
         "statx", "access", "faccessat", "mkdir", "chmod", "chown", "lchown", "truncate",
         "nftw", "realpath", "json_load_file", "json_dump_file", "blob_put_file",
         "blob_get_file", "archive_read_open_filename"]

# (file, call, text on the line) -> why it is not a file of a run's or an archive's folder
ALLOWED = {
    ("registry/mirror.c", "fstatat", "AT_SYMLINK_NOFOLLOW"):
        "one name in a folder opened through beneath.h, by its descriptor, without following",
    ("runner/download.c", "archive_read_open_filename", "src"):
        "the terraform zip a site admin registered, downloaded into disk_path/tools (the node's)",
    ("runner/download.c", "fopen", "dst"): "writes the binary into disk_path/tools",
    ("runner/download.c", "access", "*path"): "the cached binary in disk_path/tools",
    ("runner/download.c", "fopen", "tmp, \"wb\""): "the download's file in disk_path/tools",
    ("runner/download.c", "fopen", "tmp, \"rb\""): "the download's file in disk_path/tools",
    ("runner/download.c", "chmod", "bin"): "the binary in disk_path/tools",
    ("runner/process.c", "open", "wd->terraform"):
        "the terraform binary (PATH, registered path or disk_path/tools), opened by the node",
    ("runner/runner.c", "fopen", "path"): "the phase's log in disk_path/logs, which no run sees",
    ("runner/runner.c", "chmod", "runner_work_root"): "the runs' parent folder, made at start",
    ("runner/terraform.c", "access", "cand"): "a terraform on the node's PATH",
    ("runner/terraform.c", "access", "*path"): "a terraform path a site admin registered",
    ("runner/workdir.c", "fopen", "/etc/passwd"): "the host's account file",
    ("runner/workdir.c", "fopen", "sources[i]"): "the host's CA bundle and the node's cert",
    ("runner/workdir.c", "mkdir", "runner_work_root"): "the runs' parent folder (the node's)",
    ("runner/workdir.c", "mkdir", "wd->root"):
        "makes the phase's folder and the node's own beside it, in runner_work_root",
    ("runner/workdir.c", "lchown", "path"):
        "hands the folder to the run's account, before any of its code runs (never follows)",
    ("runner/workdir.c", "nftw", "chown_entry"): "the same walk (FTW_PHYS: links not followed)",
}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
pattern = re.compile(r"(?<![A-Za-z0-9_>.])(" + "|".join(CALLS) + r")\s*\(")
bad, used = [], set()
for folder in FOLDERS:
    for name in sorted(os.listdir(os.path.join(root, folder))):
        if not name.endswith(".c"):
            continue
        rel = f"{folder}/{name}"
        with open(os.path.join(root, rel)) as f:
            text = f.read()
        # comments out, line numbers kept
        text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        for n, line in enumerate(text.splitlines(), 1):
            for m in pattern.finditer(line):
                call = m.group(1)
                key = next((k for k in ALLOWED
                            if k[0] == rel and k[1] == call and k[2] in line), None)
                if key:
                    used.add(key)
                else:
                    bad.append(f"src/{rel}:{n}: {call}() by path: open it through base/beneath.h "
                               f"(or add it to ALLOWED in {os.path.basename(__file__)} with why "
                               f"it cannot reach a run's or an archive's folder)\n    "
                               f"{line.strip()}")
for key in sorted(set(ALLOWED) - used):
    bad.append(f"{key}: allowed but no longer found; remove it from ALLOWED")
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
