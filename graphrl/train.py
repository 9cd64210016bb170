r"""Trains an agent: `python -m graphrl.train --flagfile=flags/dqn_cartpole.flags`.

Every hyperparameter is a flag; a flagfile in `flags/` fixes those of one
reproduced result. Rerunning with the same `--logdir` resumes from its last
checkpoint (the replay buffer included). The last stdout line is a JSON
summary of the run.

Reproducibility: the same `--seed` and flags give the same episode returns,
since the session runs single-threaded (`graphrl.compat.session_config`) and
every random op draws from the graph-level seed.
"""

import json
import os

from absl import flags
import numpy as np

from graphrl.agents import dqn
from graphrl.compat import tf
from graphrl import envs
from graphrl.training import cli
from graphrl.training import off_policy

FLAGS = flags.FLAGS
_DQN = dqn.DQNConfig()
_LOOP = off_policy.LoopConfig()

flags.DEFINE_enum('agent', 'dqn', ['dqn'], 'The agent to train.')
flags.DEFINE_string('env', 'CartPole-v1', 'Gymnasium environment id.')
flags.DEFINE_integer('seed', 0, 'Seed of the graph, environments and replay.')
flags.DEFINE_string('logdir', None, 'Directory of checkpoints and logs; '
                    'default runs/<agent>_<env>/seed_<seed>.')
flags.DEFINE_integer('num_steps', _LOOP.num_steps, 'Environment steps.')
flags.DEFINE_integer('max_episode_steps', None,
                     "Episode time limit; default the environment's own.")
# Loop.
flags.DEFINE_integer('learning_starts', _LOOP.learning_starts,
                     'Env steps before the first gradient step.')
flags.DEFINE_integer('train_every', _LOOP.train_every,
                     'Env steps per gradient step.')
flags.DEFINE_integer('eval_every', _LOOP.eval_every,
                     'Env steps between greedy evaluations; 0: at the end.')
flags.DEFINE_integer('eval_episodes', _LOOP.eval_episodes,
                     'Episodes per greedy evaluation.')
flags.DEFINE_float('stop_eval_return', None,
                   'Stop once a greedy evaluation reaches this mean return.')
flags.DEFINE_integer('checkpoint_every', _LOOP.checkpoint_every,
                     'Env steps between checkpoints.')
flags.DEFINE_integer('keep_checkpoints', _LOOP.keep_checkpoints,
                     'Checkpoints kept.')
flags.DEFINE_float('progress_every_s', _LOOP.progress_every_s,
                   'Seconds between progress lines.')
# DQN.
flags.DEFINE_enum('network', _DQN.network, ['mlp', 'nature'], 'Q-network.')
flags.DEFINE_list('hidden_sizes', list(map(str, _DQN.hidden_sizes)),
                  'Hidden layer sizes of the MLP.')
flags.DEFINE_float('learning_rate', _DQN.learning_rate, 'Adam learning rate.')
flags.DEFINE_float('adam_epsilon', _DQN.adam_epsilon, 'Adam epsilon.')
flags.DEFINE_float('gamma', _DQN.gamma, 'Discount factor in [0, 1].')
flags.DEFINE_integer('batch_size', _DQN.batch_size, 'Transitions per step.')
flags.DEFINE_integer('replay_capacity', _DQN.replay_capacity,
                     'Transitions kept in the replay buffer.')
flags.DEFINE_enum('replay', _DQN.replay, list(dqn.REPLAYS), 'Replay sampling.')
flags.DEFINE_float('priority_exponent', _DQN.priority_exponent,
                   'Prioritized replay alpha: P(i) ~ p_i^alpha.')
flags.DEFINE_float('priority_beta', _DQN.priority_beta,
                   'Initial importance-sampling exponent, annealed to 1.')
flags.DEFINE_boolean('double_q', _DQN.double_q, 'Double DQN targets.')
flags.DEFINE_enum('loss', _DQN.loss, ['mse', 'huber'], 'TD loss.')
flags.DEFINE_float('grad_clip', _DQN.grad_clip,
                   'Global gradient-norm clip; 0 disables.')
flags.DEFINE_enum('target_update', _DQN.target_update, list(dqn.TARGET_UPDATES),
                  'Target network: EMA shadow, periodic copy or soft update.')
flags.DEFINE_float('target_decay', _DQN.target_decay,
                   'EMA decay per train step.')
flags.DEFINE_integer('target_update_period', _DQN.target_update_period,
                     'Train steps between hard target copies.')
flags.DEFINE_float('tau', _DQN.tau, 'Soft target update rate.')
flags.DEFINE_enum('epsilon_schedule', _DQN.epsilon_schedule,
                  list(dqn.EPSILON_SCHEDULES), 'Exploration schedule.')
flags.DEFINE_float('epsilon_initial', _DQN.epsilon_initial, 'Initial epsilon.')
flags.DEFINE_float('epsilon_final', _DQN.epsilon_final, 'Final epsilon.')
flags.DEFINE_integer('epsilon_steps', _DQN.epsilon_steps,
                     'Env steps from initial to final epsilon.')
flags.DEFINE_float('epsilon_rate', _DQN.epsilon_rate,
                   'Curvature of the exponential schedule, in (0, 1).')


def _positive(name):
  value = getattr(FLAGS, name)
  cli.require(value is not None and value > 0,
              '--%s must be positive, got %s' % (name, value))


def dqn_config():
  """The `DQNConfig` of the flags."""
  try:
    hidden_sizes = tuple(int(size) for size in FLAGS.hidden_sizes)
  except ValueError:
    raise cli.UserError('--hidden_sizes must be a comma-separated list of '
                        'integers, got %s' % ','.join(FLAGS.hidden_sizes))
  config = dqn.DQNConfig(
      network=FLAGS.network, hidden_sizes=hidden_sizes,
      learning_rate=FLAGS.learning_rate, adam_epsilon=FLAGS.adam_epsilon,
      gamma=FLAGS.gamma, batch_size=FLAGS.batch_size,
      replay_capacity=FLAGS.replay_capacity, replay=FLAGS.replay,
      priority_exponent=FLAGS.priority_exponent,
      priority_beta=FLAGS.priority_beta, double_q=FLAGS.double_q,
      loss=FLAGS.loss, grad_clip=FLAGS.grad_clip,
      target_update=FLAGS.target_update, target_decay=FLAGS.target_decay,
      target_update_period=FLAGS.target_update_period, tau=FLAGS.tau,
      epsilon_schedule=FLAGS.epsilon_schedule,
      epsilon_initial=FLAGS.epsilon_initial,
      epsilon_final=FLAGS.epsilon_final, epsilon_steps=FLAGS.epsilon_steps,
      epsilon_rate=FLAGS.epsilon_rate, total_steps=FLAGS.num_steps)
  try:
    config.validate()
  except ValueError as error:
    raise cli.UserError(error)
  return config


def loop_config():
  """The `LoopConfig` of the flags."""
  for name in ('num_steps', 'train_every', 'eval_episodes', 'keep_checkpoints',
               'checkpoint_every', 'progress_every_s'):
    _positive(name)
  cli.require(FLAGS.learning_starts >= 0, '--learning_starts must be >= 0')
  cli.require(FLAGS.eval_every >= 0, '--eval_every must be >= 0')
  return off_policy.LoopConfig(
      num_steps=FLAGS.num_steps, learning_starts=FLAGS.learning_starts,
      train_every=FLAGS.train_every, eval_every=FLAGS.eval_every,
      eval_episodes=FLAGS.eval_episodes,
      stop_eval_return=FLAGS.stop_eval_return,
      checkpoint_every=FLAGS.checkpoint_every,
      keep_checkpoints=FLAGS.keep_checkpoints,
      progress_every_s=FLAGS.progress_every_s, seed=FLAGS.seed)


def make_env(env_id, seed, max_episode_steps=None):
  """`envs.load`, turning an unknown id into a one-line user error."""
  try:
    return envs.load(env_id, seed=seed, max_episode_steps=max_episode_steps)
  except envs.UnknownEnvironmentError as error:
    raise cli.UserError(error)


def default_logdir(agent, env_id, seed):
  return os.path.join('runs', '%s_%s' % (agent, env_id), 'seed_%d' % seed)


def main(argv):
  cli.require(len(argv) == 1, 'unexpected arguments: %s' % ' '.join(argv[1:]))
  loop = loop_config()
  config = dqn_config()
  env = make_env(FLAGS.env, FLAGS.seed, FLAGS.max_episode_steps)
  env_id = env.gym_env.spec.id
  eval_env = envs.BatchedPyEnvironment([
      make_env(env_id, FLAGS.seed + 10000 + i, FLAGS.max_episode_steps)
      for i in range(loop.eval_episodes)])
  logdir = FLAGS.logdir or default_logdir(FLAGS.agent, env_id, FLAGS.seed)
  np.random.seed(FLAGS.seed)
  tf.set_random_seed(FLAGS.seed)
  try:
    agent = dqn.DQNAgent(env.observation_spec(), env.action_spec(), config)
  except ValueError as error:
    raise cli.UserError(error)
  metadata = {'agent': FLAGS.agent, 'env': env_id, 'format': 1,
              'config': _jsonable(config), 'seed': FLAGS.seed,
              'max_episode_steps': FLAGS.max_episode_steps}
  print('Training %s on %s for %d steps; logdir %s' % (
      FLAGS.agent, env_id, loop.num_steps, logdir), flush=True)
  result = off_policy.OffPolicyLoop(
      agent, env, eval_env, logdir, loop, metadata).run()
  env.close()
  eval_env.close()
  print(json.dumps(dict(logdir=logdir, **result)), flush=True)


def _jsonable(config):
  return {key: list(value) if isinstance(value, tuple) else value
          for key, value in vars(config).items()}


def run():
  """Console-script entry point `graphrl-train`."""
  cli.run(main)


if __name__ == '__main__':
  run()
