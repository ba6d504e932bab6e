"""Pure language understanding: no I/O, no database, no HTTP.

Everything here takes text (and data loaded by the caller) and returns plain values, so it is
fast to test and safe to call from anywhere.
"""
