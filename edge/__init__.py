"""In-vehicle runtime: camera -> landmarks -> signals -> policy -> alerts -> uplink."""
