"""The dealer portal's own records and the domain rules over them (no web code in here).

Each module takes a SQLAlchemy `Session`, the acting user (`Actor`) and explicit timestamps, so the
rules are tested on SQLite without a browser and the routes stay thin.
"""
