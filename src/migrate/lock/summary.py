"""The lock as a reviewable summary, not a 1,000-line diff.

:func:`package_table` builds, for every package of the old lock and of the new ``uv.lock``, one row
``{name, old, new, status, reason, ft}``: ``kept`` (the old lock's version is locked again),
``changed`` (with the reason: the old pin does not resolve, a free-threading move, ...), ``added``
(not in the old lock) or ``removed`` (in the old lock, not needed any more). The free-threading moves
are marked in ``ft``. ``--format json`` carries the same rows (``lock.packages``, ``lock.counts``).

:func:`renderer` is what ``ChangeSet.diff`` uses for lock files: ``uv.lock`` as that table, a deleted
``poetry.lock`` / ``Pipfile.lock`` as one line with its size. ``--lock-diff`` turns it off (raw diff).
"""

from __future__ import annotations

from typing import Any, Callable

from packaging.utils import canonicalize_name

LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
STATUSES = ("changed", "added", "removed", "kept")


def _key(v: str):
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(v))
    except InvalidVersion:
        return (1, v)


def _same(a: list[str], b: list[str]) -> bool:
    return sorted(map(_key, a)) == sorted(map(_key, b))


def package_table(pins, packages, changed_pins: list[dict], ft_entries: list[dict],
                  requires_python: str | None = None) -> dict[str, Any]:
    """``{"packages": [row, ...], "counts": {status: n, "ft_moves": n}}`` (see the module docstring).

    ``pins``: the old lock's pins; ``packages``: the new uv.lock's packages (``.name``, ``.version``,
    ``.local``); ``changed_pins``: the lock stage's MIG201 rows (name, old, new, why); ``ft_entries``:
    the readiness rows (status ``upgraded`` = moved for free-threading)."""
    old: dict[str, list[str]] = {}
    for p in pins:
        old.setdefault(canonicalize_name(p.name), [])
        if p.version not in old[canonicalize_name(p.name)]:
            old[canonicalize_name(p.name)].append(p.version)
    new: dict[str, list[str]] = {}
    for p in packages:
        if not p.local:
            new.setdefault(canonicalize_name(p.name), [])
            if p.version not in new[canonicalize_name(p.name)]:
                new[canonicalize_name(p.name)].append(p.version)
    changed = {canonicalize_name(c["name"]): c for c in changed_pins}
    ft = {canonicalize_name(e["name"]): e for e in ft_entries}
    rows = []
    for name in sorted(set(old) | set(new)):
        o, n = old.get(name), new.get(name)
        row: dict[str, Any] = {"name": name, "old": sorted(o, key=_key) if o else None,
                               "new": sorted(n, key=_key) if n else None, "reason": None, "ft": None}
        e = ft.get(name)
        if e and e.get("status") in ("upgraded", "downgraded"):
            verb = "moved down" if e["status"] == "downgraded" else "moved"
            row["ft"] = f"{verb} for free-threading ({e.get('fix')})"
        elif e and e.get("status") == "blocker":
            row["ft"] = ("blocker: re-enables the GIL on import" if e.get("runtime") == "enables-gil"
                         else "blocker: no free-threaded wheels")
        if o is None:
            row["status"] = "added"
            row["reason"] = "not in the old lock"
        elif n is None:
            row["status"] = "removed"
            row["reason"] = "no longer required"
        elif name in changed:
            row["status"] = "changed"
            row["reason"] = changed[name]["why"]
        elif _same(o, n) or all(v in n for v in o):
            # every old version is still locked (a free-threading move adds one for the target only)
            row["status"] = "kept" if _same(o, n) else "changed"
            if row["status"] == "changed":
                row["reason"] = row["ft"] or "uv locks an extra version for some environments"
        else:
            row["status"] = "kept"  # the old versions that differ were for environments requires-python excludes
        rows.append(row)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    counts["ft_moves"] = sum(1 for r in rows if r["ft"] and r["ft"].startswith("moved"))
    counts["locked"] = len(new)
    return {"packages": rows, "counts": counts}


def _versions(vs: list[str] | None) -> str:
    return " / ".join(vs) if vs else "-"


def render_table(info: dict[str, Any], name: str = "uv.lock", action: str = "create", kept: bool = True) -> str:
    """Plain text: one header line with the counts, then one line per package (changes first)."""
    rows, counts = info.get("packages", []), info.get("counts", {})
    verb = {"create": "new", "modify": "updated", "delete": "deleted"}.get(action, action)
    head = (f"{name} ({verb}): {counts.get('locked', 0)} packages locked — {counts.get('kept', 0)} kept, "
            f"{counts.get('changed', 0)} changed, {counts.get('added', 0)} added, {counts.get('removed', 0)} removed"
            f"; {counts.get('ft_moves', 0)} free-threading move(s)")
    out = [head]
    width = max((len(r["name"]) for r in rows), default=0)
    order = {s: i for i, s in enumerate(STATUSES)}
    for r in sorted(rows, key=lambda r: (order.get(r["status"], 9), r["name"])):
        if r["status"] == "kept" and not kept:
            continue
        if r["status"] == "kept":
            versions = _versions(r["new"])
        else:
            versions = f"{_versions(r['old'])} → {_versions(r['new'])}"
        notes = [x for x in (r.get("reason") if r["status"] in ("changed", "removed") else None, r.get("ft")) if x]
        uniq = list(dict.fromkeys(notes))
        out.append(f"  {r['status']:<8} {r['name']:<{width}}  {versions}" + (f"  ({'; '.join(uniq)})" if uniq else ""))
    return "\n".join(out) + "\n"


def _size(n: int) -> str:
    return f"{n:,} bytes"


def renderer(lock_info: dict[str, Any] | None) -> Callable[[Any, str], str | None]:
    """For ``ChangeSet.diff(render=...)``: the text for a lock file change, None for a raw diff."""

    def render(change, rel: str) -> str | None:
        name = rel.rsplit("/", 1)[-1]
        if name not in LOCK_FILES:
            return None
        if change.new is None:
            return f"{rel}: deleted ({_size(len(change.old or b''))}; its pins were kept in uv.lock)\n"
        if name != "uv.lock":
            return None
        info = lock_info if lock_info and "packages" in lock_info else _from_bytes(change)
        if info is None:
            return None
        return render_table(info, rel, change.action) + "  (raw uv.lock diff: --lock-diff)\n"

    return render


def _from_bytes(change) -> dict[str, Any] | None:
    """The table from an old and a new uv.lock alone (no old-lock pins known: e.g. a workspace)."""
    import tomllib

    from migrate.model import Pin

    def pkgs(data: bytes | None):
        if not data:
            return []
        try:
            doc = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        out = []
        for p in doc.get("package", []):
            src = p.get("source", {}) if isinstance(p.get("source"), dict) else {}
            local = any(k in src for k in ("virtual", "editable", "directory", "path"))
            out.append(type("P", (), {"name": str(p.get("name")), "version": str(p.get("version", "")),
                                      "local": local})())
        return out

    old, new = pkgs(change.old), pkgs(change.new)
    if old is None or new is None:
        return None
    pins = [Pin(p.name, p.version) for p in old if not p.local]
    return package_table(pins, new, [], [])
