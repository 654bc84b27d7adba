"""The ground floor: columnar tables, group and row operations, and the compiled kernels.

Nothing here knows about people, tribes or organizations: these are the numerical tools the
agents and the rules are built from.
"""
