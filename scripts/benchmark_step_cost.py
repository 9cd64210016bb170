r"""Cost of one DQN loop step: `Session.run` against `StepCallable`.

  python scripts/benchmark_step_cost.py

Builds the DQN agent of flags/dqn_cartpole.flags' network on CartPole-v1 and
times the run that acts, stores a transition and takes a gradient step, both
through `Session.run` and through the compiled `StepCallable`, interleaved in
`--repeats` rounds of `--steps` runs each so both see the same machine load.
Prints the median microseconds per step of each and their ratio.
"""

import statistics
import time

from absl import flags
import numpy as np

from graphrl.agents import dqn
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl import envs
from graphrl.training import cli
from graphrl.training.step_callable import StepCallable

FLAGS = flags.FLAGS
flags.DEFINE_integer('steps', 500, 'Runs per round.')
flags.DEFINE_integer('repeats', 7, 'Interleaved rounds.')


def _microseconds_per_run(function, steps):
  start = time.perf_counter()
  for _ in range(steps):
    function()
  return (time.perf_counter() - start) / steps * 1e6


def main(argv):
  cli.require_no_arguments(argv)
  cli.require(FLAGS.steps > 0 and FLAGS.repeats > 0,
              '--steps and --repeats must be positive')
  env = envs.load('CartPole-v1', seed=0)
  agent = dqn.DQNAgent(env.observation_spec(), env.action_spec(),
                       dqn.DQNConfig())
  with tf.Session(config=session_config()) as sess:
    sess.run(tf.global_variables_initializer())
    observ = np.zeros((1, 4), np.float32)
    transition = (np.zeros(4, np.float32), 0, 1.0, np.zeros(4, np.float32),
                  1.0)
    feeds = [agent.observ] + list(agent.transition)
    feed_dict = dict(zip(feeds, (observ,) + transition))
    fetches = [agent.explore_action, agent.store, agent.train, agent.loss]
    step = StepCallable(sess, fetches, feeds)
    for _ in range(FLAGS.steps):  # Warm up; fills the buffer past a batch.
      sess.run(fetches, feed_dict)
    timings = {'Session.run': [], 'StepCallable': []}
    for _ in range(FLAGS.repeats):
      timings['Session.run'].append(_microseconds_per_run(
          lambda: sess.run(fetches, feed_dict), FLAGS.steps))
      timings['StepCallable'].append(_microseconds_per_run(
          lambda: step(observ, *transition), FLAGS.steps))
  medians = {name: statistics.median(values)
             for name, values in timings.items()}
  for name, values in timings.items():
    print('%-13s median %4.0f us/step  (rounds: %s)' % (
        name, medians[name], ', '.join('%.0f' % value for value in values)))
  print('ratio %.2f' % (medians['Session.run'] / medians['StepCallable']))


if __name__ == '__main__':
  cli.run(main)
