"""Agent probes: one module per family, each a function returning plain data.

Every probe module exposes ``collect(settings) -> ProbeOutcome``-shaped dicts through
:func:`agent.probes.base.run_probe`, which is the single boundary that turns any exception into
an ``error`` entry so that one failing probe never stops the others.
"""
