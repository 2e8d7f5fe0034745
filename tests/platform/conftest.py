"""Fixtures of the platform tests that are shared with other folders."""

from tests.catalog.fresh import catalog_api  # noqa: F401
