"""How the shipped models are made: conversion, int8 quantisation, the eye-state model's training and the
canonical face. Run as `python -m tools.models.<script>`; the files they write live in `models/`."""
