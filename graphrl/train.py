r"""Trains an agent, e.g. on a flagfile of a reproduced result:

  python -m graphrl.train --flagfile=flags/dqn_cartpole.flags

Every hyperparameter of every agent (`graphrl.agents.registry`) and every
setting of its training loop is a flag, generated from the config
dataclasses: a flag left unset takes the selected agent's default (`--help`
lists them per agent), and setting one the agent does not have is an error.
A flagfile in `flags/` fixes the settings of one reproduced result.
Rerunning with the same `--logdir` resumes from its last checkpoint (the
replay buffer included), with the run's own settings: one that shapes what
is learned may change only with `--allow_changed_settings`, which records
the change in graphrl.json. The run ends with a line saying why it stopped
and what next, then, as the last stdout line, a JSON summary.

Reproducibility: the same `--seed` and flags give the same episode returns,
since every random op draws from the graph-level seed and stateful ops run
in an order fixed by control dependencies. The session runs on `--threads`
threads (`graphrl.compat.session_config`): one by default, which suits small
graphs; the Atari flagfiles use two, which convolutions need.
"""

import dataclasses
import functools
import json
import os
import tempfile

from absl import flags
import numpy as np

from graphrl.agents import registry
from graphrl.compat import tf
from graphrl.distributed import apex_learner
from graphrl.distributed import apex_settings
from graphrl.distributed import tasks
from graphrl.distributed import topology as topology_lib
from graphrl import envs
from graphrl import tf_envs
from graphrl.training import checkpoints
from graphrl.training import cli
from graphrl.training import graph_iterations
from graphrl.training import graph_loop
from graphrl.training import loops
from graphrl.training import run as run_lib

FLAGS = flags.FLAGS
LOOPS = ('python', 'graph')
STEPS_PER_RUN = 1000

flags.DEFINE_enum('agent', 'dqn', sorted(registry.AGENTS), 'The agent.')
flags.DEFINE_string('env', 'CartPole-v1', 'Gymnasium environment id.')
flags.DEFINE_integer('seed', 0, 'Seed of the graph and the environments.')
flags.DEFINE_string('logdir', None, 'Directory of checkpoints and logs; '
                    'default runs/<agent>_<env>/seed_<seed>.')
flags.DEFINE_integer('max_episode_steps', None,
                     "Episode time limit; default the environment's own.",
                     lower_bound=1)
flags.DEFINE_enum(
    'loop', None, LOOPS,
    "Where the training loop runs: 'python', one Session.run per env step, "
    "or 'graph', a tf.while_loop of up to --steps_per_run env steps per "
    'Session.run on an in-graph environment. Default: the faster, measured '
    "(docs/RESULTS.md): 'graph' where the environment has graph-op dynamics "
    "(CartPole, Pendulum) and the agent an in-graph loop (not with "
    "--torso=gru), else 'python'.")
flags.DEFINE_boolean(
    'atari_preprocessing', True,
    'For ALE games, the DQN preprocessing of graphrl.envs.load_atari: no-op '
    'starts, 4 frames per action max-pooled, 84x84 grayscale, 4 stacked '
    'frames; training episodes end at a lost life with clipped rewards (the '
    'games\' raw scores go to games.csv), evaluations play whole games with '
    'raw scores. --noatari_preprocessing gives the raw game.')
flags.DEFINE_integer('steps_per_run', None,
                     'With --loop=graph: env steps per Session.run at most; '
                     'default %d.' % STEPS_PER_RUN)
# The cluster of a distributed run (graphrl.distributed.topology): TF1's
# convention, the same command on every host but for --job_name and
# --task_index. graphrl.cluster sets them for a cluster on this machine.
for _job, _flag in topology_lib.HOST_FLAGS.items():
  flags.DEFINE_list(_flag, None, 'Distributed run: host:port of each %s '
                    'task, comma-separated.' % _job)
flags.DEFINE_string('job_name', None,
                    'Distributed run: this task\'s job, ps or worker (A3C, '
                    '--agent=a2c), learner or actor (Ape-X, --agent=dqn).')
flags.DEFINE_integer('task_index', None, 'Distributed run: this task\'s '
                     "index in its job's host list.")
flags.DEFINE_boolean(
    'allow_changed_settings', False,
    'Resume the run in --logdir with settings that differ from its own '
    '(graphrl.json), e.g. another --learning_rate: it continues with the new '
    'ones and records the change in graphrl.json. Without it such a resume '
    'is refused.')

# Settings a resumed run may change without --allow_changed_settings: they
# set how long it trains, what it records and how fast it runs, not what it
# learns. --loop and --steps_per_run are not compared either.
FREE_SETTINGS = ('num_steps', 'progress_every_s', 'eval_every',
                 'eval_episodes', 'checkpoint_every', 'keep_checkpoints',
                 'summary_every', 'stop_eval_return', 'threads',
                 'learner_thread')


def _fields(config_class):
  """The fields of `config_class` that flags set (not derived, not seed)."""
  return [field for field in dataclasses.fields(config_class)
          if field.name not in registry.DERIVED_FIELDS + ('seed',)]


def _settings():
  """{name: (type, {owner: default})} of the config and loop fields."""
  settings = {}
  owners = [(name, spec.config) for name, spec in registry.AGENTS.items()]
  owners += [('%s loop' % name, loops.config_class(spec.agent))
             for name, spec in registry.AGENTS.items()]
  owners.append(('dqn on a cluster (Ape-X)', apex_settings.ApexConfig))
  for owner, config_class in owners:
    for field in _fields(config_class):
      kind, defaults = settings.setdefault(field.name, (field.type, {}))
      if kind is not field.type:
        raise TypeError('%s has type %s and %s' % (field.name, kind,
                                                   field.type))
      defaults.setdefault(str(field.default), []).append(owner)
  return settings


def _define_flags():
  definers = {bool: flags.DEFINE_boolean, int: flags.DEFINE_integer,
              float: flags.DEFINE_float, str: flags.DEFINE_string,
              tuple: flags.DEFINE_list}
  for name, (kind, defaults) in sorted(_settings().items()):
    help_text = 'Default: %s.' % '; '.join(
        '%s for %s' % (value, ', '.join(owners))
        for value, owners in defaults.items())
    definers[kind](name, None, help_text)


_define_flags()


def _flag_value(field):
  """The value of `field`'s flag, converted to the field's type."""
  value = FLAGS[field.name].value
  if field.type is tuple:
    try:
      return tuple(int(item) for item in value)
    except ValueError:
      raise cli.UserError('--%s must be a comma-separated list of integers, '
                          'got %s' % (field.name, ','.join(value)))
  return value


def build_configs(agent, env_limit, mode=None):
  """The agent's config and its loop's config from the flags.

  Args:
    agent: a name of `registry.AGENTS`.
    env_limit: the environment's time limit, or None.
    mode: the distributed mode of a cluster run ('a3c', 'apex'), or None.

  Raises:
    cli.UserError: a flag the agent has no use for, or a bad value.
  """
  spec = registry.AGENTS[agent]
  loop_class = (apex_settings.ApexConfig if mode == 'apex'
                else loops.config_class(spec.agent))
  config_fields, loop_fields = _fields(spec.config), _fields(loop_class)
  known = {field.name for field in config_fields + loop_fields}
  unused = sorted(name for name in _settings()
                  if FLAGS[name].value is not None and name not in known)
  cli.require(not unused, '%s: not a setting of agent %s' % (
      ', '.join('--' + name for name in unused), agent))

  def values(fields):
    return {field.name: _flag_value(field) for field in fields
            if FLAGS[field.name].value is not None}

  loop = loop_class(seed=FLAGS.seed, **values(loop_fields))
  derived = {'total_steps': loop.num_steps, 'max_episode_steps': env_limit}
  names = {field.name for field in dataclasses.fields(spec.config)}
  derived = {name: value for name, value in derived.items()
             if name in names and value is not None}
  try:
    config = spec.config(**values(config_fields), **derived)
    config.validate()
    if hasattr(loop, 'validate'):
      loop.validate()
  except (TypeError, ValueError) as error:
    raise cli.UserError(error)
  if mode == 'apex':
    _check_apex_settings(config)
  for name in ('num_steps', 'eval_episodes', 'keep_checkpoints',
               'checkpoint_every', 'progress_every_s', 'train_every',
               'summary_every'):
    value = getattr(loop, name, 1)
    cli.require(value > 0, '--%s must be positive, got %s' % (name, value))
  for name in ('learning_starts', 'eval_every', 'threads'):
    value = getattr(loop, name, 0)
    cli.require(value >= 0, '--%s must be >= 0, got %s' % (name, value))
  return config, loop


# DQN settings Ape-X's actors replace: their own epsilon_i, one env each.
_NOT_APEX = ('epsilon_schedule', 'epsilon_initial', 'epsilon_final',
             'epsilon_steps', 'epsilon_rate', 'num_envs')


def _check_apex_settings(config):
  """Refuses what DQN settings Ape-X does not use or cannot run.

  Raises:
    cli.UserError: as above.
  """
  unused = [name for name in _NOT_APEX if FLAGS[name].value is not None]
  cli.require(not unused, '%s: not a setting of Ape-X, whose actors '
              'explore with epsilon_i = epsilon_base^(1 + epsilon_alpha i / '
              '(N - 1)) on one environment each' % ', '.join(
                  '--' + name for name in unused))
  apex_learner.check_replay(config)


def make_env(env_id, seed, max_episode_steps=None, training=True,
             atari_preprocessing=True):
  """`envs.make`, turning an unknown id into a one-line user error."""
  try:
    return envs.make(env_id, seed=seed, max_episode_steps=max_episode_steps,
                     training=training,
                     atari_preprocessing=atari_preprocessing)
  except envs.UnknownEnvironmentError as error:
    raise cli.UserError(error)


def game_scores(env):
  """A function of the raw scores of the games `env`'s members finished.

  Args:
    env: a preprocessed ALE game (`envs.load_atari`), or a batch of them
      (`envs.BatchedPyEnvironment`, `tf_envs.PyFuncEnvironment`).
  """
  members = env.envs if hasattr(env, 'envs') else [env]
  return lambda: [score for member in members
                  for score in envs.pop_game_scores(member)]


def load_graph_env(env_id, num_envs, atari_preprocessing):
  """`tf_envs.load` of the flags' seed and time limit; its Python members
  (`tf_envs.PyFuncEnvironment`) from `make_env`."""
  return tf_envs.load(env_id, num_envs, FLAGS.seed, FLAGS.max_episode_steps,
                      load_py_env=functools.partial(
                          make_env, atari_preprocessing=atari_preprocessing))


def default_logdir(agent, env_id, seed):
  return os.path.join('runs', '%s_%s' % (agent, env_id), 'seed_%d' % seed)


def check_logdir(logdir):
  """Refuses a logdir that is a file or below one, or that cannot be
  written; creates nothing.

  Raises:
    cli.UserError: as above.
  """
  existing = os.path.abspath(logdir)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  cli.require(os.path.isdir(existing), '--logdir=%s: %s is a file, not a '
              'directory' % (logdir, existing))
  try:
    with tempfile.TemporaryFile(dir=existing):
      pass
  except OSError as error:
    raise cli.UserError('--logdir=%s: cannot write in %s (%s)' % (
        logdir, existing, error.strerror))


def _learning_settings(metadata):
  """{flag name: value} of the settings in a run's metadata that shape what
  it learns: all but `FREE_SETTINGS` and the derived ones."""
  settings = dict(metadata.get('config', {}), **metadata.get('loop_config',
                                                              {}))
  settings = {name: value for name, value in settings.items()
              if name not in FREE_SETTINGS + registry.DERIVED_FIELDS}
  settings.update((name, metadata[name]) for name in (
      'seed', 'max_episode_steps', 'atari_preprocessing') if name in metadata)
  return settings


def _shown(value):
  """A setting's value as it reads in a flag."""
  if value is None:
    return 'unset'
  return ','.join(map(str, value)) if isinstance(value, list) else str(value)


def continue_run(logdir, metadata):
  """The metadata of this run, compared with the run it resumes in `logdir`.

  Settings that differ from the stored run's (`_learning_settings`, of the
  same agent and environment: others are refused by the checkpoints) are
  refused, or with --allow_changed_settings appended to the stored
  'changes' list (the checkpoint step they start at, old and new values),
  which the returned metadata carries.

  Raises:
    cli.UserError: changed settings without --allow_changed_settings.
  """
  stored = checkpoints.stored_metadata(logdir)
  steps = checkpoints.committed_steps(logdir)
  if stored is None or not steps or any(
      stored.get(key) != metadata[key] for key in ('agent', 'env')):
    return metadata
  theirs, ours = _learning_settings(stored), _learning_settings(metadata)
  changed = {name: {'old': theirs[name], 'new': ours[name]}
             for name in sorted(ours)
             if name in theirs and theirs[name] != ours[name]}
  listed = '; '.join(
      '--%s: %s in the run, %s now' % (name, _shown(change['old']),
                                       _shown(change['new']))
      for name, change in changed.items())
  cli.require(not changed or FLAGS.allow_changed_settings,
              '%s holds a run with other settings (%s); use a new --logdir, '
              'or --allow_changed_settings to continue it with these' % (
                  logdir, listed))
  changes = stored.get('changes', [])
  if changed:
    print('Continuing the run in %s with changed settings from step %d: %s.'
          % (logdir, steps[-1], listed), flush=True)
    changes = changes + [{'step': steps[-1], 'settings': changed}]
  return dict(metadata, changes=changes) if changes else metadata


def choose_loop(env_id, config):
  """--loop, or its default for an agent of `config` on `env_id`; checks the
  loop flags.

  The default is the graph loop for an environment with graph-op dynamics,
  unless the agent's config is one the in-graph loop does not run
  (`graph_iterations.runs`: a recurrent torso, refused by the loop).

  Raises:
    cli.UserError: a flag of the graph loop is set for the Python loop.
  """
  in_graph = graph_iterations.runs(config) and tf_envs.is_native(env_id)
  loop = FLAGS.loop or ('graph' if in_graph else 'python')
  cli.require(loop == 'graph' or FLAGS.steps_per_run is None,
              '--steps_per_run needs --loop=graph')
  steps_per_run = (STEPS_PER_RUN if FLAGS.steps_per_run is None
                   else FLAGS.steps_per_run)
  cli.require(steps_per_run > 0,
              '--steps_per_run must be positive, got %d' % steps_per_run)
  return loop, steps_per_run


def registered_env(env_id):
  """(today's id, registered time limit or None) of `env_id`, any id
  `envs.make` takes; builds nothing.

  Raises:
    cli.UserError: for an unknown id.
  """
  try:
    return envs.resolve_id(env_id), envs.time_limit(env_id)
  except envs.UnknownEnvironmentError as error:
    raise cli.UserError(error)


def training_env(env_id, loop_kind, batched, num_envs, atari, seed):
  """The environment the loop steps: in-graph, a batch or one of `seed`
  (members seed, seed + 1, ...)."""
  if loop_kind == 'graph':
    return load_graph_env(env_id, num_envs, atari)
  if batched:
    return envs.BatchedPyEnvironment([
        make_env(env_id, seed + i, FLAGS.max_episode_steps,
                 atari_preprocessing=atari) for i in range(num_envs)])
  return make_env(env_id, seed, FLAGS.max_episode_steps,
                  atari_preprocessing=atari)


def evaluation_env(env_id, episodes, atari):
  """The batch of greedy evaluation episodes, seeds seed + 10000 + i."""
  return envs.BatchedPyEnvironment([
      make_env(env_id, FLAGS.seed + 10000 + i, FLAGS.max_episode_steps,
               training=False, atari_preprocessing=atari)
      for i in range(episodes)])


def cluster_topology(agent):
  """The `Topology` of the cluster flags, or None for a run without them.

  Raises:
    cli.UserError: bad cluster flags, or an agent without a distributed
      mode.
  """
  hosts = {job: FLAGS[flag].value
           for job, flag in topology_lib.HOST_FLAGS.items()}
  if not any(hosts.values()) and FLAGS.job_name is None:
    cli.require(FLAGS.task_index is None,
                '--task_index needs the cluster flags (--job_name, the host '
                'lists)')
    return None
  mode = topology_lib.agent_mode(agent)
  return topology_lib.parse(mode, hosts, FLAGS.job_name, FLAGS.task_index)


def main(argv):
  cli.require_no_arguments(argv)
  spec = registry.AGENTS[FLAGS.agent]
  topology = cluster_topology(FLAGS.agent)
  env_id, registered_limit = registered_env(FLAGS.env)
  atari = FLAGS.atari_preprocessing and envs.is_atari(env_id)
  limit = FLAGS.max_episode_steps or registered_limit
  logdir = FLAGS.logdir or default_logdir(FLAGS.agent, env_id, FLAGS.seed)
  check_logdir(logdir)
  config, loop_config = build_configs(FLAGS.agent, limit,
                                      topology and topology.mode)
  if topology is not None:
    cli.require(FLAGS.loop in (None, 'python'), '--loop=graph: a cluster '
                "runs the Python loops (each task steps its own environment)")
    batched = loops.batched(spec.agent)
    num_envs = getattr(config, 'num_envs', 1)
    setup = tasks.Setup(
        FLAGS.seed, logdir, _metadata(logdir, env_id, config, loop_config,
                                      'python', atari, topology),
        lambda seed: training_env(env_id, 'python', batched, num_envs, atari,
                                  seed),
        lambda: evaluation_env(env_id, loop_config.eval_episodes, atari),
        lambda env: game_scores(env) if atari else None)
    result = tasks.run_task(topology, spec, config, loop_config, setup)
    if result is not None:
      print(json.dumps(dict(logdir=logdir, loop='python', **result)),
            flush=True)
    return
  loop_kind, steps_per_run = choose_loop(env_id, config)
  cli.require(
      not getattr(loop_config, 'learner_thread', False) or (
          loop_kind == 'python' and FLAGS.agent == 'dqn'),
      '--learner_thread needs --loop=python and --agent=dqn (the learner '
      'thread is built and tested for DQN only)')
  num_envs = getattr(config, 'num_envs', 1)
  batched = loops.batched(spec.agent)
  cli.require(loop_kind == 'graph' or batched or num_envs == 1,
              '--num_envs=%d: the Python loop of %s steps one environment; '
              'use --loop=graph' % (num_envs, FLAGS.agent))
  metadata = _metadata(logdir, env_id, config, loop_config, loop_kind,
                       atari)
  np.random.seed(FLAGS.seed)
  tf.set_random_seed(FLAGS.seed)
  env = training_env(env_id, loop_kind, batched, num_envs, atari, FLAGS.seed)
  eval_env = evaluation_env(env_id, loop_config.eval_episodes, atari)
  try:
    agent = spec.agent(env.observation_spec(), env.action_spec(), config)
  except ValueError as error:
    raise cli.UserError(error)
  print('Training %s on %s for %d steps in the %s loop; logdir %s' % (
      FLAGS.agent, env_id, loop_config.num_steps, loop_kind, logdir),
        flush=True)
  scores = game_scores(env) if atari else None
  if loop_kind == 'graph':
    try:
      loop = graph_loop.GraphLoop(agent, env, loop_config,
                                  steps_per_run=steps_per_run)
    except ValueError as error:  # E.g. a recurrent torso.
      raise cli.UserError(error)
  else:
    loop = loops.python_loop(spec.agent)(agent, env, loop_config)
  result = run_lib.Run(agent, eval_env, logdir, loop_config, metadata,
                       scores).train(loop)
  env.close()
  eval_env.close()
  print(json.dumps(dict(logdir=logdir, loop=loop_kind, **result)), flush=True)


def _metadata(logdir, env_id, config, loop_config, loop_kind, atari,
              topology=None):
  """The run's metadata (graphrl.json), checked against the run it
  resumes in `logdir` (`continue_run`); a cluster's tasks are recorded,
  free to change."""
  metadata = {
      'agent': FLAGS.agent, 'env': env_id, 'format': 1,
      'config': registry.config_to_json(config),
      'loop_config': registry.config_to_json(loop_config),
      'seed': FLAGS.seed,
      'max_episode_steps': FLAGS.max_episode_steps, 'loop': loop_kind,
      'atari_preprocessing': atari}
  if topology is not None:
    metadata['cluster'] = {'mode': topology.mode, 'tasks': {
        job: len(hosts) for job, hosts in topology.jobs}}
  return continue_run(logdir, metadata)


def run():
  """Console-script entry point `graphrl-train`."""
  cli.run(main)


if __name__ == '__main__':
  run()
