"""Applying received MQTT messages to the database: validation, idempotency, projections, triggers."""

from gateway.ingest.batch import BatchResult, Ingestor

__all__ = ["BatchResult", "Ingestor"]
