"""asyncssh, imported with the one third-party warning it is known to raise silenced.

asyncssh names cryptography's DSA key classes in module-level type aliases, and cryptography
(from 48 on) warns ``DSA is deprecated`` whenever they are looked up, so every process that
imported asyncssh printed five lines of it: the CLI, the demo and the service log. Faultdesk
never offers or accepts DSA keys. Only that message, only from asyncssh's own modules, only
during its import: any other warning still shows.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
    import asyncssh

__all__ = ["asyncssh"]
