"""Every stateful stdlib function has a kernel, and its state size follows its static arguments."""

import pytest

from nts.dsl.durations import duration_nanos

from nts.stdlib import REGISTRY
from nts.stdlib.kernels.registry import kernel_for

STATEFUL = sorted(name for name, sig in REGISTRY.items() if sig.stateful)


@pytest.mark.parametrize("name", STATEFUL)
def test_every_stateful_function_has_a_kernel(name):
    kernel = kernel_for(name)
    assert kernel is not None, f"no kernel for {name}"
    # The block is sized by the static arguments, in the signature's order (an int at 50, others at their default).
    static = [50 if a.type == "int" else duration_nanos(a.default) if a.type == "duration" else a.default
              for a in REGISTRY[name].args if a.role == "static"]
    assert kernel.size(*static) >= 1


def test_at_least_35_indicators_and_helpers():
    assert len([n for n in STATEFUL if kernel_for(n)]) >= 35
