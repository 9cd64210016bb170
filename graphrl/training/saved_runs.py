"""A training run rebuilt from its logdir: metadata, environment, agent.

`graphrl.train` writes the run's settings to `<logdir>/graphrl.json`
(`checkpoints.METADATA_FILENAME`); evaluating or exporting a run rebuilds
its agent from them and restores the weights of a checkpoint.
"""

import json
import os

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
