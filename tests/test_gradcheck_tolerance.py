"""gradcheck's tolerance is exactly ``|analytical − numerical| <= atol + rtol·|numerical|``: pinned on both sides."""

import pytest

from autodiff import Value
from autodiff.checking.gradcheck import GradcheckError, gradcheck


def skewed(slope, error):
    """x · slope whose backward() says slope + error: the extra term is 0 forward and `error` backward."""

    def f(x: Value) -> Value:
        wrong = x * error
        return x * slope + (wrong - wrong.detach())

    return f


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize(
    ("slope", "atol", "rtol"),
    [(1000.0, 1e-5, 1e-3), (0.0, 1e-5, 1e-3), (-50.0, 0.0, 1e-4), (3.0, 1e-2, 0.0)],
    ids=["rtol dominates", "atol alone (slope 0)", "rtol only", "atol only"],
)
def test_an_error_just_under_the_tolerance_passes_and_just_over_fails(slope, atol, rtol, fast_mode):
    tolerance = atol + rtol * abs(slope)
    assert gradcheck(skewed(slope, 0.99 * tolerance), [1.0], atol=atol, rtol=rtol, fast_mode=fast_mode)
    with pytest.raises(GradcheckError):
        gradcheck(skewed(slope, 1.01 * tolerance), [1.0], atol=atol, rtol=rtol, fast_mode=fast_mode)
    assert not gradcheck(skewed(slope, -1.01 * tolerance), [1.0], atol=atol, rtol=rtol, fast_mode=fast_mode,
                         raise_exception=False)


def test_the_defaults_are_pytorchs():
    """atol 1e-5 and rtol 1e-3: an error of 1.02e-3 on a slope of 1 fails, 0.98e-3 passes."""
    assert gradcheck(skewed(1.0, 0.98e-3 + 1e-5), [1.0])
    assert not gradcheck(skewed(1.0, 1.02e-3 + 1e-5), [1.0], raise_exception=False)
