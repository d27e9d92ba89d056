#!/usr/bin/env python3
"""Replace docs/configuration.md's config key table with `Prepare --list-keys` output.

Usage: .build/release/Prepare --list-keys | tools/docs/update_key_table.py
"""
import pathlib
import sys

readme = pathlib.Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
table = sys.stdin.read().strip("\n")
if not table.startswith("| key | default | meaning | official I-JEPA |"):
    sys.exit("update_key_table: stdin is not the output of Prepare --list-keys")
lines = readme.read_text().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith("| key | default | meaning |"))
end = start
while end < len(lines) and lines[end].startswith("|"):
    end += 1
lines[start:end] = table.split("\n")
readme.write_text("\n".join(lines))
