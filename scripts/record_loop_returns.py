r"""Records the episode returns of short seeded runs of every training loop.

  python scripts/record_loop_returns.py
  python scripts/record_loop_returns.py --source=/tmp/old_checkout

Trains each run of `RUNS` (every agent in each loop it has, a Pong run of
the frame replay, runs with evaluations and checkpoints mid-run, and runs
that stop and resume, `STOP_AT`) for a few thousand env steps with seed 0
and writes its
training episodes' returns (`episodes.csv`, in order) and its final greedy
mean into `tests/loop_returns.json`, with the machine and the commit of
`--source`, the checkout whose graphrl trains (default this one).
`tests/test_loop_returns.py` reruns them and asserts the same returns, bit
for bit: a refactoring of the loops, the run or the agents that changes
what a seeded run does fails it. Recorded before such a change, from the
commit before it (`--source`), and anew after a change meant to move every
seeded trajectory (the stateless random draws of issue 15).
"""

import datetime
import json
import os
import subprocess

from absl import flags

from graphrl.training import cli
from graphrl.training import reference_runs

FLAGS = flags.FLAGS
flags.DEFINE_string('source', reference_runs.ROOT,
                    'The checkout whose graphrl trains the runs.')
flags.DEFINE_string('out', os.path.join(reference_runs.ROOT, 'tests',
                                        'loop_returns.json'),
                    'The JSON file to write.')

# Flags every run shares: one greedy evaluation of 3 episodes at the end.
COMMON = ('--seed=0', '--eval_every=0', '--eval_episodes=3',
          '--checkpoint_every=100000', '--progress_every_s=1000000')
_CARTPOLE = ('--env=CartPole-v1',)
_PENDULUM = ('--env=Pendulum-v1', '--num_steps=2000', '--learning_starts=200')
RUNS = {
    'dqn@python': ('--agent=dqn', '--loop=python', '--num_steps=1500',
                   '--learning_starts=300') + _CARTPOLE,
    'dqn@graph': ('--agent=dqn', '--loop=graph', '--num_steps=1500',
                  '--learning_starts=300') + _CARTPOLE,
    'dqn_rainbowish@python': (
        '--agent=dqn', '--loop=python', '--num_steps=1500',
        '--learning_starts=300', '--replay=prioritized', '--n_step=3',
        '--double_q', '--dueling') + _CARTPOLE,
    'reinforce@python': ('--agent=reinforce', '--loop=python',
                         '--num_steps=4000') + _CARTPOLE,
    'reinforce@graph': ('--agent=reinforce', '--loop=graph',
                        '--num_steps=4000') + _CARTPOLE,
    'a2c@python': ('--agent=a2c', '--loop=python',
                   '--num_steps=4000') + _CARTPOLE,
    'a2c@graph': ('--agent=a2c', '--loop=graph', '--num_steps=4000') + _CARTPOLE,
    'a2c_gru@python': ('--agent=a2c', '--torso=gru', '--loop=python',
                       '--env=MaskedCartPole-v1', '--num_steps=3000'),
    'ddpg@python': ('--agent=ddpg', '--loop=python') + _PENDULUM,
    'ddpg@graph': ('--agent=ddpg', '--loop=graph') + _PENDULUM,
    'td3@python': ('--agent=td3', '--loop=python') + _PENDULUM,
    # Evaluations and checkpoints mid-run, which end the graph loop's runs
    # early, and a resume from the checkpoint of step 800.
    'dqn_periodic@graph': ('--agent=dqn', '--loop=graph', '--num_steps=1500',
                           '--learning_starts=300', '--eval_every=500',
                           '--checkpoint_every=400') + _CARTPOLE,
    'dqn_resumed@python': ('--agent=dqn', '--loop=python', '--num_steps=1500',
                           '--learning_starts=300', '--eval_every=500',
                           '--checkpoint_every=400') + _CARTPOLE,
    'a2c_resumed@python': ('--agent=a2c', '--loop=python', '--num_steps=4000',
                           '--eval_every=1000',
                           '--checkpoint_every=2000') + _CARTPOLE,
    'dqn_pong@python': (
        '--flagfile=flags/dqn_pong.flags', '--nolearner_thread',
        '--replay_capacity=400', '--learning_starts=100',
        '--epsilon_steps=200', '--num_steps=500', '--max_episode_steps=400',
        '--threads=1'),
}
# The runs that stop at this env step and resume from its checkpoint.
STOP_AT = {'dqn_resumed@python': 800, 'a2c_resumed@python': 2000}


def main(argv):
  cli.require_no_arguments(argv)
  source = os.path.abspath(FLAGS.source)
  cli.require(os.path.isdir(os.path.join(source, 'graphrl')),
              '--source=%s holds no graphrl checkout' % FLAGS.source)
  commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=source,
                          capture_output=True, text=True).stdout.strip()
  runs = {}
  for name, args in RUNS.items():
    runs[name] = dict(flags=list(args), **reference_runs.episode_returns(
        COMMON + args, source, stop_at=STOP_AT.get(name)))
    if name in STOP_AT:
      runs[name]['stop_at'] = STOP_AT[name]
    print('%s: %d episodes, greedy mean %.2f' % (
        name, len(runs[name]['returns']), runs[name]['eval_mean_return']),
          flush=True)
  with open(FLAGS.out, 'w', encoding='utf-8') as f:
    json.dump({'machine': reference_runs.machine(), 'commit': commit,
               'date': datetime.date.today().isoformat(),
               'common_flags': list(COMMON), 'runs': runs}, f, indent=1)
    f.write('\n')
  print('wrote %s' % FLAGS.out)


if __name__ == '__main__':
  cli.run(main)
