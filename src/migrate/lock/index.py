"""A small package-index client: the file names a package has, per version.

Reads ``--find-links`` folders (local wheels and sdists) and PEP 691 JSON / PEP 503 HTML simple indexes.
With ``offline`` only local folders are read. Results are cached per package for the process.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

PYPI = "https://pypi.org/simple"
_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


class IndexClient:
    """File names per package from ``find_links`` folders and simple indexes (``index_urls``, PyPI by default)."""

    def __init__(self, index_urls: list[str] | None = None, find_links: list[str] | None = None,
                 offline: bool = False, timeout: float = 20.0) -> None:
        self.index_urls = [u.rstrip("/") for u in (index_urls or [PYPI])]
        self.find_links = [Path(p).resolve() for p in (find_links or []) if not re.match(r"^[a-z]+://", str(p))]
        self.offline = offline
        self.timeout = timeout
        self._cache: dict[tuple[str, str | None], list[tuple[str, Version | None]]] = {}
        self._folders: dict[Path, dict[str, list[tuple[str, Version | None]]]] = {}

    def _folder(self, folder: Path) -> dict[str, list[tuple[str, Version | None]]]:
        """A local folder's wheels and sdists by project name, listed once."""
        from migrate.lock.freethreading import name_of, version_of

        if folder not in self._folders:
            by_name: dict[str, list[tuple[str, Version | None]]] = {}
            if folder.is_dir():
                for f in sorted(p.name for p in folder.iterdir()):
                    n = name_of(f)
                    if n is not None:
                        by_name.setdefault(canonicalize_name(n), []).append((f, version_of(f)))
            self._folders[folder] = by_name
        return self._folders[folder]

    def files(self, name: str, index: str | None = None) -> list[tuple[str, Version | None]]:
        """(file name, version) of every artefact of ``name`` the configured sources know."""
        from migrate.lock.freethreading import version_of

        key = (canonicalize_name(name), index)
        if key in self._cache:
            return self._cache[key]
        out: list[tuple[str, Version | None]] = []
        cname = canonicalize_name(name)
        folders = list(self.find_links)
        if index and "://" not in index and Path(index) not in folders:
            folders.append(Path(index))  # a uv.lock registry that is a local folder
        for folder in folders:
            out += self._folder(folder).get(cname, [])
        if not self.offline:
            urls = [index.rstrip("/")] if index and "://" in index else self.index_urls
            for url in urls:
                for f in self._remote(url, cname):
                    out.append((f, version_of(f)))
        self._cache[key] = out
        return out

    def prefetch(self, wanted: list[tuple[str, str | None]], workers: int = 8) -> None:
        """Fetch several packages' pages at once (remote indexes answer in parallel)."""
        todo = list(dict.fromkeys((canonicalize_name(n), i) for n, i in wanted))
        todo = [(n, i) for n, i in todo if (n, i) not in self._cache]
        if self.offline or len(todo) < 2:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            list(pool.map(lambda item: self.files(*item), todo))

    def _remote(self, base: str, name: str) -> list[str]:
        """File names on ``base``'s project page (PEP 691 JSON preferred, PEP 503 HTML otherwise)."""
        req = urllib.request.Request(f"{base}/{name}/", headers={"Accept": _ACCEPT})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                body = resp.read().decode("utf-8", "replace")
                ctype = resp.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError, ValueError):
            return []
        if "json" in ctype:
            try:
                return [str(f["filename"]) for f in json.loads(body).get("files", [])
                        if isinstance(f, dict) and "filename" in f and not f.get("yanked")]
            except (ValueError, AttributeError, TypeError):
                return []
        return parse_simple_html(body)


def parse_simple_html(body: str) -> list[str]:
    """File names linked from a PEP 503 project page, yanked files (``data-yanked``) left out."""
    from urllib.parse import unquote

    out = []
    for tag in re.findall(r"<a\s[^>]*>", body, flags=re.IGNORECASE):
        if re.search(r"\sdata-yanked(\s|=|>)", tag, flags=re.IGNORECASE):
            continue
        m = re.search(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag, flags=re.IGNORECASE)
        if m:
            href = m.group(1) if m.group(1) is not None else m.group(2)
            out.append(unquote(href.split("#", 1)[0].rsplit("/", 1)[-1]))
    return out
