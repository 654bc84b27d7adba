"""A per-agent reference implementation of the organization model.

Plain Mesa agents (`RefPerson`, `RefTribe`) and plain work items, updated one at a time by the
same rules as the vectorized production model (docs/ODD.md). It is the oracle the vectorized
model's statistics are tested against (tests/test_reference.py) and the speed baseline of
`benchmarks/bench_step.py --reference`.
"""

from reference.governance import SUPPORTED
from reference.organization import PHASES, ReferenceOrganization
from reference.person import RefPerson
from reference.tribe import RefTribe

__all__ = ["PHASES", "SUPPORTED", "RefPerson", "RefTribe", "ReferenceOrganization"]
