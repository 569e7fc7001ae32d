"""Fetching and extraction: one module per kind of source, each registering its extractor."""

from importlib import import_module

# One module per kind of source. Importing a module registers its kinds (see scrapers.base).
KIND_MODULES = ("html", "text", "worldbank", "sbp", "comtrade", "statcan", "gii", "feeds", "pdf")


def load_all() -> None:
    """Import every kind module so that the registries in scrapers.base are complete."""
    for name in KIND_MODULES:
        import_module(f"scrapers.{name}")
