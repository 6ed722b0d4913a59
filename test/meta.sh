#!/usr/bin/env bash
# META.json (the PGXN distribution metadata) is valid and tells the truth:
# it validates against the PGXN Meta Spec 1.0.0 as written down in
# test/meta/pgxn-meta-spec-1.0.0.schema.json (its required keys and the
# types of every key; python3-jsonschema), and agrees with crm.control, the
# Makefile and the files of the repository.  Prints TAP.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 - <<'PY'
import json, os, re, sys
import jsonschema

checks = []
def check(ok, what, detail=""):
    checks.append((bool(ok), what, detail))

meta = json.load(open("META.json"))
schema = json.load(open("test/meta/pgxn-meta-spec-1.0.0.schema.json"))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(meta), key=lambda e: list(e.path))
check(not errors, "META.json validates against the PGXN Meta Spec 1.0.0 schema",
      "; ".join(f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors))
# the schema itself rejects what the spec forbids
bad = dict(meta, version="1.0")
check(not jsonschema.Draft7Validator(schema).is_valid(bad), "the schema refuses a version that is not semver (1.0)")
bad = {k: v for k, v in meta.items() if k != "provides"}
check(not jsonschema.Draft7Validator(schema).is_valid(bad), "the schema refuses META.json without provides")

control = dict(re.findall(r"^(\w+)\s*=\s*'?([^'\n]*)'?", open("crm.control").read(), re.M))
makefile = open("Makefile").read()
extversion = re.search(r"^EXTVERSION\s*=\s*(\S+)", makefile, re.M).group(1)
check(meta["name"] == "crm" and "crm" in meta["provides"], "the distribution and its extension are named crm")
check(control["default_version"] == extversion, "crm.control's default_version is the Makefile's EXTVERSION",
      f"{control['default_version']} vs {extversion}")
semver = meta["provides"]["crm"]["version"]
check(semver == meta["version"] and semver.startswith(extversion + "."),
      f"META.json's versions ({meta['version']}, provides {semver}) are the extension's {extversion}")
for key in ("file", "docfile"):
    path = meta["provides"]["crm"].get(key)
    check(path and os.path.isfile(path), f"provides.crm.{key} ({path}) is a file of the repository")
check(meta["license"] == "postgresql" and "Permission to use, copy, modify, and distribute" in open("LICENSE").read(),
      "the license is the PostgreSQL License, and LICENSE says it")
pg = meta["prereqs"]["runtime"]["requires"]["PostgreSQL"]
check(pg == "15.0.0", f"PostgreSQL {pg} is required: 15 is the oldest version tested")

failed = 0
print(f"1..{len(checks)}")
for i, (ok, what, detail) in enumerate(checks, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {what}")
    if not ok:
        failed += 1
        if detail:
            print(f"#   {detail}")
sys.exit(1 if failed else 0)
PY
