#!/usr/bin/env python3
"""Runs the SQL examples of the documentation and checks the reference.

Called by test/docs.sh (see there for usage).  For each document (README.md
and docs/*.md by default) with at least one ```sql block:

  * a fresh database is created and every ```sql block is run, in document
    order, in ONE psql session (so a SET, a temporary table or a view of an
    earlier example is there for a later one), exactly as written;
  * the output of a block (result tables, NOTICE, ERROR, DETAIL and HINT
    lines, as psql prints them with the row-count footer off and without
    CONTEXT lines) is compared with the ```text block that follows it (only
    blank lines between the two); a ```sql block without a ```text block
    must print nothing;
  * one TAP line per example: "ok N - README.md:120" or "not ok" with a diff.

With --accept the documents are rewritten instead: every ```text block that
follows a ```sql block gets the output of the run (added when missing,
removed when the example prints nothing).  Blocks of any other language
(```sh, ```text not after a ```sql block, ```json, ...) are not run.

With --citus DB only the ```sql-citus blocks are run (and nothing else is
checked), the same way, in one session on the existing database DB: the
coordinator of a Citus cluster whose workers are added, without crm
(test/distributed.sh prepares it and reads the TAP lines).

Then the reference check: every function, procedure and aggregate of schema
crm (each overload, as "crm.name(arguments with defaults)"), every type,
view and table (and each column of a table, as a row "| `column` |" in the
table's "### crm.name" section), and every crm.* setting the sources use,
must appear in docs/reference.md; one TAP line per kind of object.
"""

import difflib
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = "@@crm-docs-example@@"
PG_BIN = os.environ.get("CRM_PG_BIN", "")


def pg(tool):
    path = os.path.join(PG_BIN, tool) if PG_BIN else tool
    return path if (not PG_BIN or os.path.exists(path)) else tool


class Block:
    def __init__(self, lang, start, end, body):
        self.lang = lang      # info string's first word
        self.start = start    # index of the opening fence line
        self.end = end        # index of the closing fence line
        self.body = body      # lines between the fences


def blocks_of(lines):
    """Fenced blocks of a Markdown document (``` fences at column 0)."""
    found, i = [], 0
    while i < len(lines):
        m = re.match(r"^```\s*(\S*)", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            sys.exit("%s: unclosed code fence" % (i + 1))
        found.append(Block(m.group(1), i, j, lines[i + 1:j]))
        i = j + 1
    return found


def examples_of(lines, lang):
    """(example block of language lang, its output block or None) pairs, in
    document order."""
    blocks = blocks_of(lines)
    pairs = []
    for k, b in enumerate(blocks):
        if b.lang != lang:
            continue
        out = None
        if k + 1 < len(blocks):
            nxt = blocks[k + 1]
            between = lines[b.end + 1:nxt.start]
            if nxt.lang == "text" and all(not s.strip() for s in between):
                out = nxt
        pairs.append((b, out))
    return pairs


def normalize(text_lines):
    out = [s.rstrip() for s in text_lines]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def psql(db, script):
    env = dict(os.environ, PGTZ="UTC", PGDATESTYLE="ISO, MDY", PGOPTIONS="-c lc_messages=C")
    env.pop("PGDATABASE", None)
    run = subprocess.run([pg("psql"), "-X", "-q", "-d", db], input=script, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    return run.stdout


def fresh_database(db):
    subprocess.run([pg("dropdb"), "--if-exists", db], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([pg("createdb"), db], check=True)


def run_document(path, counter, accept, citus_db=None):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    pairs = examples_of(lines, "sql-citus" if citus_db else "sql")
    if not pairs:
        return counter, 0, False
    rel = os.path.relpath(path, ROOT)
    if citus_db:
        db = citus_db
    else:
        db = "crm_docs_" + re.sub(r"[^a-z0-9]+", "_", rel.lower()).strip("_")
        fresh_database(db)
    script = ["\\set SHOW_CONTEXT never", "\\pset footer off"]
    for n, (sql, _) in enumerate(pairs):
        body = [re.sub(r"\s+--[^'\"]*$", "", s) for s in sql.body if s.strip() and not s.strip().startswith("--")]
        if body and not (body[-1].rstrip().endswith(";") or body[-1].lstrip().startswith("\\")):
            sys.exit("%s:%d: an example must end with ';' or a psql command" % (rel, sql.start + 1))
        script.append("\\echo %s %d" % (MARK, n))
        script.extend(sql.body)
    script.append("\\echo %s end" % MARK)
    output = psql(db, "\n".join(script) + "\n")
    chunks, current, seen = {}, None, False
    for line in output.split("\n"):
        m = re.match(r"^%s (\S+)$" % MARK, line)
        if m:
            current = m.group(1)
            seen = True
            chunks[current] = []
        elif current is not None:
            chunks[current].append(line)
        elif line.strip():
            chunks.setdefault("prologue", []).append(line)
    failed = False
    if "end" not in chunks or chunks.get("prologue"):
        counter += 1
        print("not ok %d - %s: the psql session ended early" % (counter, rel))
        for s in output.split("\n")[-30:]:
            print("# " + s)
        return counter, len(pairs), True
    edits = []
    for n, (sql, out) in enumerate(pairs):
        got = normalize(chunks.get(str(n), []))
        want = normalize(out.body) if out else []
        counter += 1
        if got == want:
            print("ok %d - %s:%d" % (counter, rel, sql.start + 1))
            continue
        if accept:
            print("ok %d - %s:%d # accepted: the document now shows the new output" % (counter, rel, sql.start + 1))
            edits.append((sql, out, got))
            continue
        failed = True
        print("not ok %d - %s:%d" % (counter, rel, sql.start + 1))
        print("# the example:")
        for s in sql.body:
            print("#   " + s)
        print("# diff (- the document, + the run; bash test/docs.sh --accept takes the run):")
        for s in difflib.unified_diff(want, got, "document", "run", lineterm="", n=2):
            print("# " + s)
    if edits:
        for sql, out, got in reversed(edits):
            if out is not None:
                if got:
                    lines[out.start + 1:out.end] = got
                else:   # the example prints nothing now: drop its output block
                    lines[sql.end + 1:out.end + 1] = []
            elif got:
                lines[sql.end + 1:sql.end + 1] = ["```text"] + got + ["```"]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    return counter, len(pairs), failed


# ---------------------------------------------------------------- reference

CATALOG = r"""
SELECT 'routine', format('%s.%s(%s)', n.nspname, p.proname, pg_get_function_arguments(p.oid)), NULL
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'crm'
UNION ALL
SELECT 'type', format_type(t.oid, NULL), NULL
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'crm' AND t.typtype IN ('b', 'c', 'e', 'd', 'r')
   AND t.typelem = 0 AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END, format('%s.%s', n.nspname, c.relname), NULL
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'crm' AND c.relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT 'column', format('%s.%s', n.nspname, c.relname), a.attname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'crm' AND c.relkind IN ('r', 'p')
 ORDER BY 1, 2, 3
"""

SETTING_USE = re.compile(
    r"""(?:current_setting|set_config|GetConfigOption\w*|set_local)\(\s*['"](crm\.[a-z_]+)"""
    r"""|\bSET\s+(?:LOCAL\s+)?(crm\.[a-z_]+)""")


def check_reference(counter):
    path = os.path.join(ROOT, "docs", "reference.md")
    doc = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    db = "crm_docs_catalog"
    fresh_database(db)
    rows = psql(db, "\\set ON_ERROR_STOP on\nCREATE EXTENSION crm;\n\\pset format unaligned\n"
                    "\\pset tuples_only on\n\\pset fieldsep '\\t'\n" + CATALOG)
    expected = {"routine": [], "type": [], "view": [], "table": [], "column": [], "setting": []}
    for line in rows.split("\n"):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in expected:
            sys.exit("unexpected catalog output: " + rows[:2000])
        expected[parts[0]].append((parts[1], parts[2]))
    for src in sorted(glob.glob(os.path.join(ROOT, "src", "*.sql")) + glob.glob(os.path.join(ROOT, "src", "*.c"))):
        for m in SETTING_USE.finditer(open(src, encoding="utf-8").read()):
            name = m.group(1) or m.group(2)
            if (name, "") not in expected["setting"]:
                expected["setting"].append((name, ""))

    # the "### crm.name" sections of the document, for the columns of a table
    sections, name = {}, None
    for line in doc.split("\n"):
        m = re.match(r"^#{2,4} `?(crm\.[A-Za-z0-9_]+)`?\s*$", line)
        if m:
            name = m.group(1)
            sections[name] = []
        elif line.startswith("#"):
            name = None
        elif name:
            sections[name].append(line)

    def missing(kind):
        out = []
        for obj, col in expected[kind]:
            if kind == "column":
                if ("| `%s` |" % col) not in "\n".join(sections.get(obj, [])):
                    out.append("%s.%s" % (obj, col))
            elif kind in ("table", "view"):
                if obj not in sections:
                    out.append("%s (a '### %s' section)" % (obj, obj))
            elif kind == "routine":
                if obj not in doc:
                    out.append(obj)
            elif "`%s`" % obj not in doc:
                out.append(obj)
        return out

    labels = {"routine": "functions, procedures and aggregates (every overload, arguments with defaults)",
              "type": "types", "view": "views", "table": "tables", "column": "columns of the tables",
              "setting": "crm.* settings the sources use"}
    failed = False
    for kind in ("routine", "type", "table", "column", "view", "setting"):
        counter += 1
        gone = missing(kind)
        if not gone:
            print("ok %d - docs/reference.md documents all %d %s" % (counter, len(expected[kind]), labels[kind]))
        else:
            failed = True
            print("not ok %d - docs/reference.md lacks %d of %d %s:" % (counter, len(gone), len(expected[kind]), labels[kind]))
            for g in gone:
                print("#   " + g)
    return counter, failed


def main():
    args = sys.argv[1:]
    accept = "--accept" in args
    citus_db = None
    if "--citus" in args:
        i = args.index("--citus")
        citus_db = args[i + 1]
        del args[i:i + 2]
    files = [a for a in args if a != "--accept"]
    if not files:
        files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    counter, failed, examples = 0, False, 0
    for path in files:
        counter, n, bad = run_document(os.path.abspath(path), counter, accept, citus_db)
        examples += n
        failed = failed or bad
    if not citus_db:
        counter, bad = check_reference(counter)
        failed = failed or bad
    print("1..%d" % counter)
    print("# %d examples run from %d documents%s" % (examples, len(files), ", outputs accepted" if accept else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
