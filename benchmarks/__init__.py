"""Benchmarks: the pipeline against MediaPipe, gateway throughput, end-to-end latency."""
