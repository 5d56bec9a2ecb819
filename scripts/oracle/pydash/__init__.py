"""The four pydash helpers azure-ai-ml 1.4.0 calls, so Debian's python3-azure imports offline.

Only for the oracle scripts in this folder (PYTHONPATH=scripts/oracle); never shipped.
pydash's own semantics, for the paths azure-ai-ml passes: dotted keys, list indices as digits.
"""
from . import objects  # noqa: F401
from .objects import get, omit, set_  # noqa: F401
