"""The files of Pipfile.lock pins, before uv runs.

poetry.lock lists each pinned version's file names, so the free-threading fixes are known before the
first resolution (:func:`migrate.lock.freethreading.preassess`) and join it. Pipfile.lock lists only the
files' hashes. The index's project page (PEP 691 JSON ``hashes`` / PEP 503 ``#sha256=`` links, or a
``--find-links`` folder, whose files are hashed) names every file of the pinned version with its sha256:
the files whose hash the lock lists are exactly the locked ones. They become ``Pin.files``, so Pipenv
pins are judged before uv runs as Poetry pins are, and a project whose fixes are all known then locks in
one resolution.

Which pins are looked up: every index page costs a request (PyPI's pages for long-lived packages are
large; 100–190 pages took 5–16 s here), while after the first resolution only the blockers' pages are
needed. A pin with exactly two hashes is almost always a pure wheel and its sdist (corpus: 1 of ~330 such
pins is a blocker); so only pins with another number of hashes (native wheels for several platforms, or a
lone sdist or wheel) are looked up here: about the pages the late lookup would fetch anyway. Whatever is
not judged here (those, and a pin whose hashes match no file of its version on the index: another mirror,
rebuilt artefacts, no hashes) is judged after the first resolution from uv.lock, as before, and its fix
applied by a second resolution: the result is the same, only the number of uv runs differs. An index that
cannot answer leaves the pin as it was (the late path asks again and reports it).
"""

from __future__ import annotations

from dataclasses import replace

from packaging.utils import canonicalize_name


def wants_files(pins) -> bool:
    """Some pin lists hashes but no file names (Pipfile.lock) and is worth looking up before uv runs."""
    return any(p.hashes and not p.files and likely_native(p) for p in pins)


def likely_native(pin) -> bool:
    """Worth looking up before uv runs: not exactly two hashes (a pure wheel and its sdist); see above."""
    return len({h.lower() for h in pin.hashes}) != 2


def with_index_files(pins, client, python: str, indexes=()) -> list:
    """``pins`` with the locked files of every Pipfile.lock pin that may be installed on Python ``python``
    (``3.13``): the files of the pinned version on its index whose sha256 the pin lists. ``indexes``: the
    project's indexes; a pin from an explicit index (``index = "name"`` in Pipfile.lock) is looked up there
    (its ``origin`` becomes that URL), every other one on the client's indexes."""
    from migrate.lock.freethreading import _norm, marker_may_hold
    from migrate.lock.index import IndexUnavailable

    explicit = {canonicalize_name(i.name): i.url for i in indexes if not i.default and "$" not in i.url}

    def index_of(pin) -> str | None:
        return explicit.get(canonicalize_name(pin.origin)) if pin.origin else None

    todo = [p for p in pins if p.hashes and not p.files and _norm(p.version) is not None and likely_native(p)
            and (not p.marker or marker_may_hold(p.marker, python))]
    if not todo:
        return list(pins)
    if hasattr(client, "prefetch"):
        client.prefetch([(p.name, index_of(p)) for p in todo])
    found: dict[int, object] = {}
    for pin in todo:
        index = index_of(pin)
        version = _norm(pin.version)
        try:
            here = [f for f, v in client.files(pin.name, index) if v is not None and v == version]
        except IndexUnavailable:
            continue
        locked = {h.split(":", 1)[1].strip().lower() for h in pin.hashes if h.lower().startswith("sha256:")}
        sha = client.hashes(pin.name, index, set(here))
        files = tuple(f for f in here if sha.get(f) in locked)
        if files:
            found[id(pin)] = replace(pin, files=files, origin=index)
    return [found.get(id(p), p) for p in pins]
