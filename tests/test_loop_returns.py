"""The training loops, the run and the agents still do what they did.

Every run of `tests/loop_returns.json` (recorded by
`scripts/record_loop_returns.py`, first from the commit before the loops
became peers of one run, issue 13, and again, as the file's commit says,
once every random op had become a stateless draw, issue 15, which moved
every seeded trajectory) is trained again: its training episodes' returns
and its final greedy mean must be the recorded ones, bit for bit.
DQN, REINFORCE, A2C and DDPG in both loops, A2C with the GRU torso, TD3,
DQN with prioritized n-step replay, a Pong run of the frame replay, runs
with evaluations and checkpoints mid-run, and runs stopped and resumed
from a checkpoint.

A seeded run repeats bit for bit on one CPU model, not across models, so a
case runs on the CPU model the file was recorded on and is skipped, saying
so, elsewhere (as in `test_reference_numbers`).
"""

import json
import os
import sys

import pytest

from graphrl.training import reference_runs

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'loop_returns.json'), encoding='utf-8') as f:
  RECORDED = json.load(f)


@pytest.mark.parametrize('name', sorted(RECORDED['runs']))
def test_a_seeded_run_gives_the_recorded_returns(name):
  recorded = reference_runs.cpu_model(RECORDED['machine'])
  here = reference_runs.cpu_model(reference_runs.machine())
  if recorded != here:
    pytest.skip('recorded on %s, this CPU is %s' % (recorded, here))
  run = RECORDED['runs'][name]
  result = reference_runs.episode_returns(
      RECORDED['common_flags'] + run['flags'], stop_at=run.get('stop_at'))
  assert len(run['returns']) > 3, 'a run of too few episodes tests little'
  assert result['returns'] == run['returns']
  assert result['eval_mean_return'] == run['eval_mean_return']


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
