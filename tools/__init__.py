"""Tools: the `dms` command, the demo, load generation and model building.

The top layer of the house. Tools import the products (`edge`, `gateway`, `dealer_portal`) and the
shared base (`dms`: contract, errors, settings; `native`; `models`), never the other way round.
"""
