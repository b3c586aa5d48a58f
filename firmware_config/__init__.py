"""Tools for putting a vehicle into service: `dms config` (check and render a device file against its
board profile), `dms provision` (broker credential, ACL entry, TLS files), the systemd unit and model
updates. A tool: it imports the in-vehicle runtime (edge.config, edge.boards), never the reverse."""
