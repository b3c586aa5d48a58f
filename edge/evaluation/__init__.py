"""Scoring the vision pipeline on labelled clips (`dms evaluate`)."""
