"""Web portal for dispatchers, dealers' service staff and administrators."""
