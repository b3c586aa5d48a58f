"""Back-office MQTT ingest, persistence, projections and REST API."""
