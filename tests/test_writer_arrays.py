"""The writer builds multi-line arrays in one pass (issue 13: 20,000 classifiers took 19 s because
``Array.add_line`` re-indexes the whole array on every call). Same text as add_line, linear work."""

from __future__ import annotations

import random

import tomlkit
from tomlkit.items import Array

from migrate.writer import _lines_array, _multiline


def _add_line_way(lines):
    arr = tomlkit.array()
    for value, comment, comment_only in lines:
        if value is None:
            arr.add_line(comment=comment_only, indent="    ")
        else:
            arr.add_line(value, indent="    ", comment=comment)
    if lines:
        arr.add_line(indent="")
    return arr


def _dump(arr) -> str:
    doc = tomlkit.document()
    doc["k"] = arr
    return tomlkit.dumps(doc)


def test_same_text_as_add_line_on_random_arrays():
    rnd = random.Random(13)
    strings = ["req>=1", "a'b", 'x"y', "é", "a\\b", "t\tb", "d\x7f", "日本", "markers; python_version < '3.12'"]
    for _ in range(500):
        lines = []
        for _ in range(rnd.randint(0, 7)):
            k = rnd.random()
            if k < 0.2:
                lines.append((None, None, rnd.choice(["note", "two words"])))
            elif k < 0.35:
                t = tomlkit.inline_table()
                t.update({"include-group": rnd.choice(["dev", "test"])})
                lines.append((t, rnd.choice([None, "why"]), None))
            else:
                lines.append((rnd.choice(strings), rnd.choice([None, "", "pinned"]), None))
        old, new = _add_line_way(lines), _lines_array(lines)
        assert _dump(new) == _dump(old)
        assert list(new) == list(old)
        old.append("after")
        new.append("after")  # still a working tomlkit array
        assert _dump(new) == _dump(old)
        assert tomlkit.parse(_dump(new))["k"] == list(new)


def test_one_reindex_whatever_the_length(monkeypatch):
    calls = {"n": 0}
    real = Array._reindex

    def counting(self):
        calls["n"] += 1
        return real(self)

    monkeypatch.setattr(Array, "_reindex", counting)
    arr = _multiline([f"Topic :: Generated :: {i}" for i in range(20000)])
    assert len(arr) == 20000 and calls["n"] == 1
    assert _dump(arr).count("\n") == 20002


def test_bare_comment_line_is_kept():
    assert _dump(_lines_array([(None, None, ""), ("x", None, None)])) == 'k = [\n    #\n    "x",\n]\n'
