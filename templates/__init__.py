"""Jinja2 templates for digests and the Atom feed (package data, so an installed copy finds them)."""
