"""Seed data shipped with bridgewatch: indicators with baselines, sources, recorded captures for the demo."""
