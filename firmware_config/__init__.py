"""Device configuration schema, board profiles, systemd unit and model updates."""
