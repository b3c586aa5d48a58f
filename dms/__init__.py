"""dms: driver monitoring at the edge, telematics uplink and a fleet/dealer back office.

The shared base of the house: the wire contract, settings helpers and user-facing errors, which every
product (edge, gateway, dealer_portal) and tool uses and which imports none of them. The `dms` command
itself is a tool (tools/cli.py). Importing this package never pulls in OpenCV or ONNX Runtime.
"""

__version__ = "0.1.0"
