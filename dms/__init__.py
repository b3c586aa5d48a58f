"""dms: driver monitoring at the edge, telematics uplink and a fleet/dealer back office.

This package holds what every part shares and nothing heavy: the wire contract, settings helpers,
user-facing errors and the `dms` command. Importing it never pulls in OpenCV or ONNX Runtime.
"""
__version__ = "0.1.0"
