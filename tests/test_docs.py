"""The README's configuration reference is generated from the key declarations: it cannot drift."""

from __future__ import annotations

from service import docs
from service.config import SOURCE_KEYS, SUBSCRIBER_KEYS, settings_keys


def test_readme_lists_every_key_as_generated_from_the_declarations():
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.with_keys(readme) == readme, "run: .venv/bin/python -m service.docs"
    section = readme.split(docs.START, 1)[1].split(docs.END, 1)[0]
    for key in (*SOURCE_KEYS, *SUBSCRIBER_KEYS, *settings_keys()):
        assert f"| `{key.name}` | {key.type} |" in section
    assert "| `workers` | integer | 8 |" in section and "| `cadence` | string | \"immediate\" |" in section


def test_every_settings_field_is_documented():
    assert all(key.doc for key in settings_keys())
