r"""Where the time of an off-policy run in the Python loop goes.

  python scripts/profile_python_loop.py --flagfile=flags/dqn_pong.flags

Builds the agent and environment of a flagfile's run the way
`python -m graphrl.train --loop=python` does, fills the replay past
`--learning_starts` by acting, and times each part of a loop step alone,
in `--repeats` interleaved rounds of `--calls` calls each:
  game:        one `env.step` (a preprocessed ALE step is 4 frames), with
               a reset where an episode ends;
  act:         the `Session.run` of the epsilon-greedy action;
  act+store:   the same run storing the previous transition too;
  sample:      sampling a batch from the replay alone;
  train step:  the agent's train op without a store: sample, gradient
               step, target update (a `--learner_thread`'s run).
Prints the medians in microseconds and the cost of one env step of the
serial loop, game + act+store + train step / train_every, split into
shares. The session runs on the run's `--threads`.
"""

import collections
import statistics
import time

from absl import flags
import numpy as np

from graphrl.agents import agent as agent_lib
from graphrl.agents import registry
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl import train
from graphrl.training import cli
from graphrl.training.step_callable import StepCallable

FLAGS = flags.FLAGS
flags.DEFINE_integer('calls', 200, 'Calls per part and round.')
flags.DEFINE_integer('repeats', 5, 'Interleaved timing rounds.')


def _microseconds(function, calls):
  started = time.perf_counter()
  for _ in range(calls):
    function()
  return (time.perf_counter() - started) / calls * 1e6


class _Game:
  """Steps `env` with uniform actions; remembers the last transition."""

  def __init__(self, env, seed):
    self._env = env
    self._rng = np.random.default_rng(seed)
    self._actions = int(env.action_spec().maximum) + 1
    self.time_step = env.reset()
    self.transition = None

  def step(self):
    action = self._rng.integers(self._actions)
    next_step = self._env.step(action)
    self.transition = (self.time_step.observation, action, next_step.reward,
                       next_step.observation, next_step.discount)
    self.time_step = self._env.reset() if next_step.is_last() else next_step


def main(argv):
  cli.require_no_arguments(argv)
  cli.require(FLAGS.calls > 0 and FLAGS.repeats > 0,
              '--calls and --repeats must be positive')
  spec = registry.AGENTS[FLAGS.agent]
  cli.require(issubclass(spec.agent, agent_lib.OffPolicyAgent),
              'agent %s is not an off-policy agent' % FLAGS.agent)
  env = train.make_env(FLAGS.env, FLAGS.seed, FLAGS.max_episode_steps,
                       atari_preprocessing=FLAGS.atari_preprocessing)
  config, loop = train.build_configs(FLAGS.agent, env.gym_env.spec.
                                     max_episode_steps)
  tf.set_random_seed(FLAGS.seed)
  agent = spec.agent(env.observation_spec(), env.action_spec(), config)
  train_op, loss, _ = agent.train_step()
  sample = agent.buffer.sample(config.batch_size)
  game = _Game(env, FLAGS.seed)
  with tf.Session(config=session_config(loop.threads)) as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(agent.sync_target)
    feeds = [agent.observ] + list(agent.transition)
    act = StepCallable(sess, [agent.explore_action], [agent.observ])
    act_store = StepCallable(sess, [agent.explore_action, agent.store], feeds)
    learn = StepCallable(sess, [train_op, loss], [])
    sampled = StepCallable(sess, list(sample), [])
    for _ in range(max(loop.learning_starts, config.batch_size) + 1):
      game.step()
      act_store(game.time_step.observation[None], *game.transition)

    parts = collections.OrderedDict([
        ('game', game.step),
        ('act', lambda: act(game.time_step.observation[None])),
        ('act+store', lambda: act_store(game.time_step.observation[None],
                                        *game.transition)),
        ('sample', sampled),
        ('train step', learn)])
    for function in parts.values():  # Warm up every callable.
      function()
    timings = collections.defaultdict(list)
    for _ in range(FLAGS.repeats):
      for name, function in parts.items():
        timings[name].append(_microseconds(function, FLAGS.calls))
  env.close()
  medians = {name: statistics.median(values)
             for name, values in timings.items()}
  lines = ['%s on %s, %d session threads, median of %d rounds of %d calls:'
           % (FLAGS.agent, FLAGS.env, loop.threads, FLAGS.repeats,
              FLAGS.calls), '', '| part | us per call (range) |', '|---|---|']
  for name in parts:
    lines.append('| %s | %.0f (%.0f-%.0f) |' % (
        name, medians[name], min(timings[name]), max(timings[name])))
  shares = [('game', medians['game']), ('act+store', medians['act+store']),
            ('train step / %d' % loop.train_every,
             medians['train step'] / loop.train_every)]
  total = sum(cost for _, cost in shares)
  lines += ['', 'One env step of the serial loop, %.0f us (%.0f env steps/s):'
            % (total, 1e6 / total), '', '| part | us | share |',
            '|---|---|---|']
  for name, cost in shares:
    lines.append('| %s | %.0f | %.0f%% |' % (name, cost, 100 * cost / total))
  print('\n'.join(lines))


if __name__ == '__main__':
  cli.run(main)
