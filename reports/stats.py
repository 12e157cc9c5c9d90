"""The statistical test behind the "converts clearly below the team" flag. Standard library only.

One-sided two-proportion z-test: does this qualifier's share of hand-offs that ended in a won deal
(x1 of n1) fall below that of the rest of the team (x2 of n2)?

    p1 = x1/n1, p2 = x2/n2, pooled p = (x1 + x2) / (n1 + n2)
    z  = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))
    p-value = Φ(z)   (one-sided, lower tail)

Flag when p-value < α (0.05). The normal approximation needs enough data: every expected count
n·p and n·(1-p) (pooled p) must be at least 5, otherwise the verdict is "too few hand-offs to
judge" and nobody is flagged. The page also shows each qualifier's Wilson 95 % interval.
"""

import math
from dataclasses import dataclass

ALPHA = 0.05
MIN_EXPECTED = 5
Z_95 = 1.959963984540054


def normal_cdf(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@dataclass(frozen=True)
class ProportionTest:
    successes: int
    trials: int
    rest_successes: int
    rest_trials: int
    z: float | None
    p_value: float | None
    enough_data: bool
    flagged: bool

    @property
    def rate(self):
        return self.successes / self.trials if self.trials else None

    @property
    def rest_rate(self):
        return self.rest_successes / self.rest_trials if self.rest_trials else None


def two_proportion_lower(x1, n1, x2, n2, *, alpha=ALPHA, min_expected=MIN_EXPECTED):
    """Is x1/n1 significantly lower than x2/n2? (one-sided z-test with pooled variance)"""
    if n1 <= 0 or n2 <= 0:
        return ProportionTest(x1, n1, x2, n2, None, None, False, False)
    pooled = (x1 + x2) / (n1 + n2)
    enough = min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)) >= min_expected
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return ProportionTest(x1, n1, x2, n2, None, None, False, False)
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    p_value = normal_cdf(z)
    return ProportionTest(x1, n1, x2, n2, z, p_value, enough, enough and p_value < alpha)


def wilson_interval(successes, trials, z=Z_95):
    """Wilson score interval for a proportion; (None, None) without trials."""
    if trials <= 0:
        return None, None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# --- "Criteria and outcomes" (reports.selectors.criteria): the verdict of one answer ---------------
#
# Significance there is the interval's non-overlap with the rest's rate: an answer is below the rest
# when the upper end of its Wilson 95 % interval lies below the rest's observed rate (above it when
# the lower end lies above), each side having at least the minimum of trials. Wilson keeps its
# coverage near 95 % down to a handful of trials, where the normal (Wald) interval collapses
# (Newcombe 1998); under the minimum (CRITERIA_MIN_HANDOFFS) no verdict at all.

BELOW = "below"
ABOVE = "above"
WITHIN = "within"
TOO_FEW = "too_few"


def interval_verdict(successes, trials, rest_successes, rest_trials, *, min_trials, z=Z_95):
    """BELOW / ABOVE when the Wilson interval of successes/trials lies wholly below / above the rest's
    rate rest_successes/rest_trials, WITHIN otherwise; TOO_FEW when either side has under
    `min_trials` trials (a rest of 2 leads is no yardstick either)."""
    if trials < min_trials or rest_trials < min_trials:
        return TOO_FEW
    rest_rate = rest_successes / rest_trials
    low, high = wilson_interval(successes, trials, z)
    if high < rest_rate:
        return BELOW
    if low > rest_rate:
        return ABOVE
    return WITHIN
