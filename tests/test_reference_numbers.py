"""Learning regressions: each recorded run still solves as recorded.

For every run of `tests/reference_numbers.json` (recorded by
`scripts/record_reference_numbers.py`) and each recorded seed, trains the
run's flagfile in the run's loop (`--loop=python|graph`) as recorded and
checks, as the run's `judge` says, that a greedy evaluation (20 episodes)
first reaches the threshold at an env step inside the recorded band
('first_solve'), or that the policy at the end of the budget averages at
least the threshold over `eval_episodes` greedy episodes of seeds the run
never saw ('final').

A seeded run is reproducible on one CPU, not across CPUs: another CPU's
kernels (AVX-512 against AVX2) round differently and the run follows
another trajectory (on an Intel Xeon with AVX-512, ddqn_cartpole seeds 0
and 1 of the AMD EPYC's recording did not solve within 50k steps, with or
without oneDNN; docs/RESULTS.md). So a case runs only on the CPU model its
numbers were recorded on, and is skipped, saying so, elsewhere;
`scripts/record_reference_numbers.py` records a machine's own.
"""

import json
import os
import sys

import pytest

from graphrl.training import reference_runs

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'reference_numbers.json')
with open(REFERENCE, encoding='utf-8') as f:
  RUNS = json.load(f)['runs']
CASES = [(name, int(seed)) for name in sorted(RUNS)
         for seed in sorted(RUNS[name]['seeds'])]


@pytest.mark.slow
@pytest.mark.parametrize('name, seed', CASES,
                         ids=['%s-seed%d' % case for case in CASES])
def test_solves_within_the_recorded_band(tmp_path, name, seed):
  run = RUNS[name]
  recorded, here = (reference_runs.cpu_model(run['machine']),
                    reference_runs.cpu_model(reference_runs.machine()))
  if recorded != here:
    pytest.skip('%s was recorded on %s, this CPU is %s' % (
        name, recorded, here))
  reference_runs.train(run['flagfile'], seed, str(tmp_path),
                       '--loop=' + run['loop'])
  if run.get('judge') == 'final':
    evaluation = reference_runs.evaluate(str(tmp_path), run['eval_episodes'])
    assert evaluation['mean_return'] >= run['threshold'], (
        evaluation, run['seeds'][str(seed)])
    return
  solved = reference_runs.first_greedy_solve(str(tmp_path), run['threshold'])
  low, high = run['band']
  assert solved is not None, '%s seed %d never reached %s' % (
      name, seed, run['threshold'])
  assert low <= solved['step'] <= high, (solved, run['seeds'][str(seed)])


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
