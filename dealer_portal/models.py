"""Importing this declares the portal's tables on `Base` (the migration environment imports it)."""

from dealer_portal.records.tables import *
