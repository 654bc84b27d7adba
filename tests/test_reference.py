"""The per-agent reference implementation (`reference/`) as an oracle for the vectorized model.

Both implementations run the same rules (docs/ODD.md) with different random streams, so they
are compared in distribution: independent replicates of each, on small organizations, over
the second half of the runs. The tolerances are about 4.5 standard errors of the difference
between the two replicate means, the standard deviations measured on 60 replicates of the
vectorized model at this size (noted next to each value). Breaking a rule in the reference
moves statistics beyond them, e.g. engagement not following fit, review skipped (stressed
case), no WIP limit in doing, no coordination cost, no belonging or overload in fit, no leader
quality, no splits or dissolution, no passion drift; rules whose effect at this size is smaller
than the run-to-run spread (a one-step shift in lead time, no pivots) are not resolved.

`REFERENCE_ORACLE_SEED` (environment) changes the base seed, to check the tolerances are not
tuned to one draw.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from model import Config, ConfigError, Organization
from model.metrics import METRICS
from model.plan import PLAN
from model.policy import POLICY_KINDS, policy_names
from reference import PHASES, SUPPORTED, ReferenceOrganization

PEOPLE = 240
STEPS = 200
VECTORIZED_RUNS = 12
REFERENCE_RUNS = 5
BASE_SEED = int(os.environ.get("REFERENCE_ORACLE_SEED", "7100"))

STATISTICS = ("throughput", "engagement", "lead_time", "retention", "tribes",
              "tribe_size_mean", "wip", "value", "alignment", "unaffiliated")

# case -> (preset, parameter overrides). At the presets' defaults some rules barely act (the
# exit rule's sensitivity when commitment is far above the outside option, review capacity
# well above throughput, light overload); the stressed case makes them bind, so that they are
# compared too.
CASES: dict[str, tuple[str, dict[str, float]]] = {
    "purposeful": ("purposeful", {}),
    "hierarchy": ("hierarchy", {}),
    "stressed": ("purposeful", {"review_rate": 0.02, "outside_option": 0.7,
                                "load_horizon": 5.0}),
}

# Largest allowed |reference mean - vectorized mean| over the replicates, per statistic: 4.5
# standard errors of the difference of the two means, sd(one run) x sqrt(1/12 + 1/5) x 4.5,
# with sd measured on 60 vectorized replicates (noted with the mean they scatter around).
TOLERANCE: dict[str, dict[str, float]] = {
    "purposeful": {
        "throughput": 1.4,  # sd 0.58 around 10.2 items per step
        "engagement": 0.016,  # sd 0.0065 around 0.70
        "lead_time": 4.4,  # sd 1.8 around 21.5 steps
        "retention": 0.06,  # sd 0.025 around 0.82
        "tribes": 7.2,  # sd 3.0 around 27 tribes
        "tribe_size_mean": 2.4,  # sd 1.0 around 9.0 people
        "wip": 52.0,  # sd 22 around 198 items
        "value": 0.94,  # sd 0.39 around 6.9
        "alignment": 0.017,  # sd 0.0069 around 0.89
        "unaffiliated": 0.0087,  # sd 0.0036 around 0.013
    },
    "hierarchy": {
        "throughput": 1.13,  # sd 0.47 around 2.9 items per step
        "engagement": 0.049,  # sd 0.020 around 0.44
        "lead_time": 27.0,  # sd 11 around 61 steps
        "retention": 0.088,  # sd 0.037 around 0.67
        "tribes": 3.9,  # sd 1.6 around 25 tribes
        "tribe_size_mean": 1.5,  # sd 0.63 around 9.5 people
        "wip": 147.0,  # sd 61 around 1540 items
        "value": 0.59,  # sd 0.25 around 1.1
        "alignment": 0.035,  # sd 0.015 around 0.63
    },
    "stressed": {
        "throughput": 0.58,  # sd 0.24 around 4.2 items per step
        "engagement": 0.042,  # sd 0.018 around 0.61
        "lead_time": 12.0,  # sd 5.0 around 51 steps
        "retention": 0.10,  # sd 0.042 around 0.57
        "tribes": 5.4,  # sd 2.3 around 23 tribes
        "tribe_size_mean": 2.4,  # sd 1.0 around 9.9 people
        "wip": 55.0,  # sd 23 around 221 items
        "value": 0.46,  # sd 0.19 around 2.2
        "alignment": 0.024,  # sd 0.0099 around 0.86
        "unaffiliated": 0.053,  # sd 0.022 around 0.067
    },
}

# Largest allowed two-sample Kolmogorov-Smirnov distance between the pooled values of the two
# implementations. Values of one run share its history, so the KS p-value does not apply; the
# bounds are about 1.6 times the 99th percentile of the distance between two groups of
# vectorized replicates of the same sizes (2,000 resamples of the 60 replicates).
KS_ENGAGEMENT = {"purposeful": 0.15, "hierarchy": 0.15, "stressed": 0.19}
KS_TRIBE_SIZE = {"purposeful": 0.25, "hierarchy": 0.22, "stressed": 0.24}


@dataclass
class Sample:
    """What one implementation produced over its replicates."""

    runs: pd.DataFrame  # one row per replicate, one column per statistic
    engagement: np.ndarray  # final engagement of every active person, pooled
    tribe_sizes: np.ndarray  # final size of every living tribe, pooled


def summarize(table: pd.DataFrame) -> dict[str, float]:
    """The statistics of one run from its step table: second-half means (lead time weighted
    by the items done), retention at the end."""
    half = table[table["step"] > STEPS // 2]
    done = half["throughput"].to_numpy()
    lead = np.nan_to_num(half["lead_time"].to_numpy())
    row = {name: float(half[name].mean()) for name in STATISTICS}
    row["lead_time"] = float((lead * done).sum() / done.sum())
    row["retention"] = float(table["retention"].iloc[-1])
    return row


def vectorized_run(preset: str, seed: int, **overrides) -> tuple[dict, np.ndarray, np.ndarray]:
    """One vectorized run: its statistics, final engagements and tribe sizes."""
    m = Organization(preset=preset, people=PEOPLE, rng=seed, **overrides)
    table = m.run(STEPS)
    p, tribes = m.people, m.tribes
    return (summarize(table), p.engagement[: p.n][p.active[: p.n]].astype(float),
            tribes.size[tribes.living()].astype(np.int64))


def reference_run(preset: str, seed: int, **overrides) -> tuple[dict, np.ndarray, np.ndarray]:
    """One reference run: its statistics, final engagements and tribe sizes."""
    m = ReferenceOrganization(preset=preset, people=PEOPLE, rng=seed, **overrides)
    table = m.run(STEPS)
    return summarize(table), m.engagements(), m.tribe_sizes()


def sample(run, preset: str, seeds: range, **overrides) -> Sample:
    """Replicates of one implementation (`run`: `vectorized_run` or `reference_run`)."""
    results = [run(preset, seed, **overrides) for seed in seeds]
    return Sample(pd.DataFrame([r[0] for r in results]),
                  np.concatenate([r[1] for r in results]),
                  np.concatenate([r[2] for r in results]))


def discrepancies(case: str, vectorized: Sample, reference: Sample) -> list[str]:
    """Every statistic on which the two samples of `case` differ beyond its tolerance."""
    problems = []
    for name, tolerance in TOLERANCE[case].items():
        a, b = vectorized.runs[name].mean(), reference.runs[name].mean()
        if not abs(b - a) <= tolerance:
            problems.append(f"{name}: vectorized {a:.4g}, reference {b:.4g}, "
                            f"difference {b - a:+.4g} beyond ±{tolerance:g}")
    for label, x, y, bound in (
            ("engagement distribution", vectorized.engagement, reference.engagement,
             KS_ENGAGEMENT[case]),
            ("tribe size distribution", vectorized.tribe_sizes, reference.tribe_sizes,
             KS_TRIBE_SIZE[case])):
        distance = ks_2samp(x, y).statistic
        if not distance <= bound:
            problems.append(f"{label}: KS distance {distance:.3f} beyond {bound:g}")
    return problems


_SAMPLES: dict[str, tuple[Sample, Sample]] = {}


def samples(case: str) -> tuple[Sample, Sample]:
    """(vectorized, reference) samples of `case`, with independent seeds, run once."""
    if case not in _SAMPLES:
        preset, overrides = CASES[case]
        _SAMPLES[case] = (
            sample(vectorized_run, preset, range(BASE_SEED, BASE_SEED + VECTORIZED_RUNS),
                   **overrides),
            sample(reference_run, preset,
                   range(BASE_SEED + 1000, BASE_SEED + 1000 + REFERENCE_RUNS), **overrides))
    return _SAMPLES[case]


@pytest.mark.parametrize("case", list(CASES))
def test_reference_matches_the_vectorized_model_in_distribution(case):
    vectorized, reference = samples(case)
    problems = discrepancies(case, vectorized, reference)
    assert not problems, f"{case}: " + "; ".join(problems)


def test_reference_is_reproducible_from_its_seed():
    tables = [ReferenceOrganization(preset="purposeful", people=60, rng=seed).run(30)
              for seed in (5, 5, 6)]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert not tables[0].equals(tables[2])


def test_reference_refuses_a_policy_it_does_not_implement():
    unknown = dataclasses.replace(Config.build("purposeful", people=20), leadership="lottery")
    with pytest.raises(ConfigError, match=r"leadership: policy 'lottery' .*emergent"):
        ReferenceOrganization(unknown, rng=0)


def test_reference_implements_every_registered_policy():
    for kind in POLICY_KINDS:
        assert set(policy_names(kind)) <= set(SUPPORTED[kind]), kind


def test_reference_runs_the_phases_of_the_plan_in_order():
    assert [label for label, _ in PHASES] == [phase.label for phase in PLAN]


def test_reference_step_table_has_the_vectorized_columns():
    m = ReferenceOrganization(preset="hierarchy", people=40, rng=1)
    table = m.run(3)
    assert list(table.columns) == ["step", *(metric.name for metric in METRICS)]
    assert table["step"].tolist() == [0, 1, 2, 3]
    assert table["headcount"].iloc[-1] == len(m.engagements())
    assert table["tribes"].iloc[-1] == len(m.tribe_sizes())
