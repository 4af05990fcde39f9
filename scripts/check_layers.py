#!/usr/bin/env python3
"""check_layers.py — fails when a file includes a folder above its own in the layer order, or
another folder's private *_int.h. The order is the architecture's (docs/ARCHITECTURE.md)."""
import os
import re
import sys

ORDER = [
    ["base"],
    ["store", "http", "bus", "sandbox"],
    ["keyring", "jsonapi"],
    ["blob"],
    ["app"],
    ["organizations"], ["users"], ["teams"], ["tokens"], ["workspaces"], ["variables"],
    ["configversions"], ["state"], ["runs"], ["registry", "notifications"],
    ["runner", "meta", "admin", "cluster", "backup", "web"],
    ["cmd"],
]
RANK = {folder: i for i, group in enumerate(ORDER) for folder in group}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
bad = []
for folder in sorted(os.listdir(root)):
    path = os.path.join(root, folder)
    if not os.path.isdir(path):
        continue
    if folder not in RANK:
        bad.append(f"src/{folder}: not in the layer order of scripts/check_layers.py")
        continue
    for name in sorted(os.listdir(path)):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(path, name)) as f:
            for n, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([a-z_]+)/([A-Za-z0-9_.]+)"', line)
                if not m:
                    continue
                dep, header = m.groups()
                if dep == folder:
                    continue
                if header.endswith("_int.h"):
                    bad.append(f"src/{folder}/{name}:{n}: includes private {dep}/{header}")
                elif RANK.get(dep, 99) >= RANK[folder]:
                    bad.append(f"src/{folder}/{name}:{n}: {folder} may not include {dep}/{header}")
for b in bad:
    print(b)
print(f"{0 if bad else 1} passed, {1 if bad else 0} failed")
sys.exit(1 if bad else 0)
