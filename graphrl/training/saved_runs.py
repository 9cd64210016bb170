"""A training run rebuilt from its logdir: metadata, environment, agent.

`graphrl.train` writes the run's settings to `<logdir>/graphrl.json`
(`checkpoints.METADATA_FILENAME`); evaluating or exporting a run rebuilds
its agent from them and restores the weights of a checkpoint: the latest,
the best-evaluated one or that of a step (`restore_policy`; the binaries'
`--best` and `--step`, `define_checkpoint_flags`).
"""

import json
import numbers
import os

from absl import flags

from graphrl.agents import registry
from graphrl import envs
from graphrl.training import checkpoints
from graphrl.training import cli


def read_metadata(logdir):
  """The `graphrl.json` of a training run, as a dict."""
  path = os.path.join(logdir, checkpoints.METADATA_FILENAME)
  cli.require(os.path.isdir(logdir), 'no such logdir: %s' % logdir)
  cli.require(os.path.exists(path),
              '%s holds no training run (no %s)' % (
                  logdir, checkpoints.METADATA_FILENAME))
  try:
    with open(path, encoding='utf-8') as f:
      return json.load(f)
  except ValueError as error:
    raise cli.UserError('%s is not valid JSON (%s)' % (path, error))


def build_agent(metadata, env):
  """Rebuilds the agent that `metadata` describes, for `env`'s specs."""
  name = metadata.get('agent')
  cli.require(name in registry.AGENTS, 'the run names agent %r; known: %s' % (
      name, ', '.join(sorted(registry.AGENTS))))
  config = registry.config_from_json(name, metadata['config'])
  return registry.AGENTS[name].agent(env.observation_spec(),
                                     env.action_spec(), config)


def load_env(metadata, seed, **kwargs):
  """The run's environment, playing whole games with raw scores."""
  cli.require(isinstance(metadata.get('env'), str),
              'the run names no environment')
  try:
    return envs.make(metadata['env'], seed=seed,
                     max_episode_steps=metadata.get('max_episode_steps'),
                     training=False,
                     atari_preprocessing=metadata.get('atari_preprocessing',
                                                      False), **kwargs)
  except envs.UnknownEnvironmentError as error:
    raise cli.UserError('the run names an unknown environment: %s' % error)


def restore_policy(sess, logdir, metadata, saver, checkpoint='latest'):
  """Restores a checkpoint of the run in `logdir` into `sess`.

  Args:
    sess: a `tf.Session` on the graph of `saver`.
    logdir: the run's directory.
    metadata: its `read_metadata`; its agent and env must match the logdir's.
    saver: a `tf.train.Saver` of the variables to restore, e.g. the agent's
      `policy_variables`.
    checkpoint: 'latest', 'best' (the checkpoint of the best greedy
      evaluation, `checkpoints/best.json`) or the step (an int) of a kept
      checkpoint.

  Returns:
    The step of the restored checkpoint.

  Raises:
    cli.UserError: a bad `checkpoint`, or the logdir holds no such
      checkpoint (`checkpoints.CheckpointError` when it cannot be restored).
  """
  manager = checkpoints.CheckpointManager(logdir, saver, metadata,
                                          must_match=('agent', 'env'))
  if checkpoint == 'best':
    best = manager.best()
    cli.require(best is not None, '%s holds no evaluated checkpoint' % logdir)
    step = best[0]
  elif checkpoint == 'latest':
    step = None
  else:
    cli.require(isinstance(checkpoint, numbers.Integral) and
                not isinstance(checkpoint, bool),
                "checkpoint must be 'latest', 'best' or a step, got %r"
                % (checkpoint,))
    step = int(checkpoint)
  step = manager.restore(sess, step)
  cli.require(step is not None, '%s holds no checkpoint' % logdir)
  return step


def define_checkpoint_flags():
  """Defines a binary's --step and --best; `checkpoint_flag` reads them."""
  flags.DEFINE_integer('step', None, 'Use the checkpoint of this step; '
                       'default the latest.')
  flags.DEFINE_boolean('best', False, 'Use the checkpoint of the best greedy '
                       'evaluation instead of the latest.')


def checkpoint_flag():
  """The `restore_policy` checkpoint that --step and --best name."""
  step, best = flags.FLAGS.step, flags.FLAGS.best
  cli.require(step is None or not best, '--step and --best exclude each other')
  return 'best' if best else 'latest' if step is None else step
