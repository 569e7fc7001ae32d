"""bridgewatch service: configuration, the refresh pipeline, diff, digests, delivery and the CLI."""

__version__ = "0.1.0"
