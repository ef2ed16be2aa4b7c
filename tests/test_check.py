"""`migrate check`: output formats, --fix/--diff, selection, exclusion, broken files."""

from __future__ import annotations

import json

from conftest import run_migrate, tree_digest

UNSAFE = "counts = {}\n\n\ndef hit(k):\n    counts[k] += 1\n"
REPORT_ONLY = "class C:\n    def f(self):\n        self.n += 1\n\n\nshared = C()\n"


def tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(UNSAFE)
    (tmp_path / "pkg" / "b.py").write_text(REPORT_ONLY)
    (tmp_path / "pkg" / "broken.py").write_text("def f(:\n")
    for skipped in (".venv/lib", ".git", "build", "node_modules"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "x.py").write_text(UNSAFE)
    return tmp_path


def test_text_output_like_ruff(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root / "pkg"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines == [
        f"{root}/pkg/a.py:5:5: FT002 [*] read-modify-write of an item of module-level 'counts' without a lock",
        f"{root}/pkg/b.py:3:9: FT008 read-modify-write of instance attribute 'self.n' is not thread-safe if the "
        "instance is shared: an instance is stored in a module global",
    ]
    assert "broken.py" in proc.stderr and "SyntaxError" in proc.stderr  # reported, skipped, no crash


def test_a_file_named_twice_is_checked_once(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root / "pkg"), str(root / "pkg" / "a.py"), "--format", "json")
    assert [f["code"] for f in json.loads(proc.stdout)] == ["FT002", "FT008"]


def test_skips_virtualenvs_git_and_build_folders(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root), "--format", "json")
    paths = {f["path"] for f in json.loads(proc.stdout)}
    assert paths == {f"{root}/pkg/a.py", f"{root}/pkg/b.py"}


def test_json_fields(tmp_path):
    root = tree(tmp_path)
    data = json.loads(run_migrate("check", str(root / "pkg" / "a.py"), "--format", "json").stdout)
    assert data == [{"path": f"{root}/pkg/a.py", "line": 5, "column": 5, "code": "FT002",
                     "message": "read-modify-write of an item of module-level 'counts' without a lock",
                     "fixable": True, "severity": "warning"}]


# The parts of the SARIF 2.1.0 schema (docs.oasis-open.org/sarif/sarif/v2.1.0) a log like ours must meet.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_SUBSET = {
    "type": "object", "required": ["version", "runs"],
    "properties": {
        "version": {"enum": ["2.1.0"]}, "$schema": {"type": "string", "format": "uri"},
        "runs": {"type": "array", "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "rules": {"type": "array", "items": {
                                       "type": "object", "required": ["id"],
                                       "properties": {"id": {"type": "string"}, "shortDescription": _MESSAGE,
                                                      "defaultConfiguration": {"type": "object", "properties": {
                                                          "level": {"enum": ["none", "note", "warning", "error"]}}}}}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]}, "message": _MESSAGE,
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {"type": "object", "properties": {
                                "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"}}},
                                "region": {"type": "object", "properties": {
                                    "startLine": {"type": "integer", "minimum": 1},
                                    "startColumn": {"type": "integer", "minimum": 1}}}}}}}},
                        "properties": {"type": "object"}}}}}}},
    },
}


def test_sarif(tmp_path):
    import fastjsonschema

    root = tree(tmp_path)
    proc = run_migrate("check", "pkg", "--format", "sarif", cwd=root)
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    fastjsonschema.validate(SARIF_SUBSET, log)
    assert log["version"] == "2.1.0" and "sarif" in log["$schema"]
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [f"FT0{i:02d}" for i in range(1, 13)]
    res = run["results"][0]
    assert res["ruleId"] == "FT002" and run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "FT002"
    assert res["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "pkg/a.py"}, "region": {"startLine": 5, "startColumn": 5}}
    assert res["properties"] == {"fixable": True}
    # outside the current directory: an absolute file URI
    log = json.loads(run_migrate("check", str(root / "pkg"), "--format", "sarif", cwd=tmp_path.parent).stdout)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") or uri == f"{root.name}/pkg/a.py"


def test_diff_writes_nothing(tmp_path):
    root = tree(tmp_path)
    before = tree_digest(root)
    proc = run_migrate("check", str(root / "pkg"), "--diff")
    assert proc.returncode == 1
    assert "+    with _counts_lock:" in proc.stdout and "+import threading" in proc.stdout
    assert tree_digest(root) == before


def test_fix_then_only_report_only_findings_remain(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root / "pkg"), "--fix")
    assert proc.returncode == 1  # FT008 is reported, not fixed
    assert "fixed 1, 1 remaining" in proc.stderr
    assert "with _counts_lock:" in (root / "pkg" / "a.py").read_text()
    proc = run_migrate("check", str(root / "pkg" / "a.py"), "--fix")
    assert proc.returncode == 0 and proc.stdout == ""


def test_diff_wins_over_fix_like_ruff(tmp_path):
    root = tree(tmp_path)
    before = tree_digest(root)
    proc = run_migrate("check", str(root / "pkg"), "--diff", "--fix")
    assert "+    with _counts_lock:" in proc.stdout
    assert tree_digest(root) == before


def test_line_endings_and_encoding_are_kept(tmp_path):
    crlf = UNSAFE.replace("\n", "\r\n").encode()
    latin = ("# -*- coding: latin-1 -*-\n# café\n" + UNSAFE).encode("latin-1")
    bom = b"\xef\xbb\xbf" + UNSAFE.encode()
    for name, data in (("crlf.py", crlf), ("latin.py", latin), ("bom.py", bom)):
        (tmp_path / name).write_bytes(data)
    proc = run_migrate("check", str(tmp_path), "--fix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed_crlf = (tmp_path / "crlf.py").read_bytes()
    assert b"with _counts_lock:\r\n" in fixed_crlf and b"\n" not in fixed_crlf.replace(b"\r\n", b"")
    assert (tmp_path / "latin.py").read_bytes().decode("latin-1").startswith("# -*- coding: latin-1 -*-\n# café\n")
    assert (tmp_path / "bom.py").read_bytes().startswith(b"\xef\xbb\xbfimport threading")


def test_select_ignore_exclude(tmp_path):
    root = tree(tmp_path)
    assert run_migrate("check", str(root / "pkg"), "--select", "FT008").stdout.count("FT008") == 1
    assert run_migrate("check", str(root / "pkg"), "--select", "ft00").stdout.count("FT0") == 2  # a prefix
    assert run_migrate("check", str(root / "pkg"), "--select", "FT00", "--ignore", "FT002").stdout.count("FT0") == 1
    assert "FT008" not in run_migrate("check", str(root / "pkg"), "--ignore", "FT008").stdout
    proc = run_migrate("check", str(root / "pkg"), "--exclude", "b.py", "--exclude", "a.py")
    assert proc.returncode == 0 and proc.stdout == ""
    # globs below the walked root; folders above it (here: named like a build folder) do not count
    proc = run_migrate("check", str(root), "--exclude", "pkg/a.py", "--format", "json")
    assert [f["path"] for f in json.loads(proc.stdout)] == [f"{root}/pkg/b.py"]
    assert run_migrate("check", str(root), "--exclude", "pkg").stdout == ""
    (root / "pkg" / "build_tools").mkdir()
    inner = root / "pkg" / "build_tools"
    (inner / "c.py").write_text(UNSAFE)
    proc = run_migrate("check", str(inner), "--exclude", "build_tools", "--format", "json")
    assert [f["path"] for f in json.loads(proc.stdout)] == [f"{inner}/c.py"]


def test_bad_usage_exits_2(tmp_path):
    proc = run_migrate("check", str(tmp_path), "--select", "FT999")
    assert proc.returncode == 2 and "FT999" in proc.stderr
    proc = run_migrate("check", str(tmp_path), "--diff", "--format", "json")
    assert proc.returncode == 2 and "--diff" in proc.stderr
    proc = run_migrate("check", str(tmp_path), "--format", "xml")
    assert proc.returncode == 2
    proc = run_migrate("check", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_rules_run_through_libcst_tool(tmp_path):
    import shutil
    import subprocess
    import sys

    from conftest import FIXTURES, REPO

    target = tmp_path / "shared_state.py"
    shutil.copy(FIXTURES / "race" / "shared_state.py", target)
    proc = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "--no-format",
                           "command.FreeThreadingCommand", str(target)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = target.read_text()
    assert "with _total_lock:" in text and "import threading" in text
    assert run_migrate("check", str(target), "--select", "FT001,FT002,FT003,FT004,FT005").returncode == 0


MEMO = "import re\n_res = {}\n\n\ndef pattern(p):\n    if p not in _res:\n        _res[p] = re.compile(p)\n    return _res[p]\n"
UNSHARED = "class Parser:\n    def advance(self):\n        self.pos += 1\n"


def test_info_notes_do_not_fail_the_run(tmp_path):
    (tmp_path / "memo.py").write_text(MEMO)
    proc = run_migrate("check", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"{tmp_path}/memo.py:6:5: FT003 [info] check-then-act")
    assert "equal-value" in proc.stdout and "1 of them info notes" in proc.stderr
    data = json.loads(run_migrate("check", str(tmp_path), "--format", "json").stdout)
    assert [(f["code"], f["severity"], f["fixable"]) for f in data] == [("FT003", "info", False)]
    log = json.loads(run_migrate("check", str(tmp_path), "--format", "sarif").stdout)
    assert [r["level"] for r in log["runs"][0]["results"]] == ["note"]
    before = (tmp_path / "memo.py").read_bytes()
    assert run_migrate("check", str(tmp_path), "--fix").returncode == 0
    assert (tmp_path / "memo.py").read_bytes() == before  # a note is never "fixed" with a lock


def test_ft008_without_evidence_is_opt_in(tmp_path):
    (tmp_path / "p.py").write_text(UNSHARED)
    assert run_migrate("check", str(tmp_path)).stdout == ""
    assert run_migrate("check", str(tmp_path), "--select", "FT").stdout == ""  # a prefix is not opting in
    proc = run_migrate("check", str(tmp_path), "--select", "FT008")
    assert proc.returncode == 1 and ":3:9: FT008 " in proc.stdout
