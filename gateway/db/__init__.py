"""Database layer: one SQLAlchemy metadata for the gateway and the dealer records."""
