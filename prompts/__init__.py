"""Prompts live as text files in this package and are rendered strictly.

``render(name, **values)`` fills ``prompts/<name>.txt`` (a Jinja2 template):
a missing value and an unexpected value are both errors, so a prompt can never
go out half-filled. ``PROMPT_VERSION`` is a hash of all prompt files; caches of
model output (summaries) key on it.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

import jinja2
from jinja2 import meta

_env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


@cache
def _source(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


@cache
def _template(name: str) -> tuple[jinja2.Template, frozenset[str]]:
    src = _source(name)
    return _env.from_string(src), frozenset(meta.find_undeclared_variables(_env.parse(src)))


def render(name: str, **values) -> str:
    template, wanted = _template(name)
    extra = set(values) - wanted
    if extra:
        raise KeyError(f"prompt {name!r} does not use {sorted(extra)}")
    return template.render(**values).strip()


def prompt_version() -> str:
    files = sorted(p.name for p in resources.files(__package__).iterdir() if p.name.endswith(".txt"))
    digest = hashlib.sha1()
    for f in files:
        digest.update(f.encode() + _source(f[:-4]).encode("utf-8"))
    return digest.hexdigest()[:12]
