r"""Evaluates a trained agent: `python -m graphrl.evaluate --logdir=runs/x`.

Rebuilds the agent from the logdir's `graphrl.json`, restores the policy
weights of its latest checkpoint (`--best`: of the best greedy evaluation;
`--step=N`: of step N; a weights-only checkpoint is enough), runs
`--episodes` greedy episodes, printing a line as each one ends, and prints
a JSON summary as the last stdout line: mean/std/min/max return and the
number of episodes. `--gif` writes one greedy episode as an animated GIF.
"""

import itertools
import json
import os

from absl import flags
import numpy as np

from graphrl import envs
from graphrl import policy as policy_lib
from graphrl.training import cli
from graphrl.training import evaluation
from graphrl.training import saved_runs

FLAGS = flags.FLAGS

flags.DEFINE_string('logdir', None, 'Logdir of a training run.')
flags.DEFINE_integer('episodes', 20, 'Greedy episodes to run.')
flags.DEFINE_integer('seed', 100000, 'Seed of the evaluation environments.')
flags.DEFINE_string('gif', None, 'Write one greedy episode to this GIF file.')
flags.DEFINE_integer('gif_fps', 30, 'Frames per second of the GIF.')
saved_runs.define_checkpoint_flags()


def write_gif(path, policy, fps):
  """Renders one greedy episode of `policy` to an animated GIF at `path`."""
  import imageio  # pylint: disable=g-import-not-at-top
  # Frames are drawn off-screen; without this pygame's SDL probes for a
  # display and prints an error line.
  os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')
  env = saved_runs.load_env(policy.metadata, FLAGS.seed,
                            render_mode='rgb_array')
  time_step = env.reset()
  policy.reset()
  frames = [env.render()]
  while not time_step.is_last():
    time_step = env.step(policy.action(time_step.observation))
    frames.append(env.render())
  env.close()
  imageio.mimsave(path, frames, duration=1000.0 / fps, loop=0)
  print('Wrote %d frames to %s.' % (len(frames), path), flush=True)


def main(argv):
  cli.require_no_arguments(argv)
  cli.require(FLAGS.logdir, '--logdir is required')
  cli.require(FLAGS.episodes > 0, '--episodes must be positive')
  checkpoint = saved_runs.checkpoint_flag()
  ended = itertools.count(1)

  def report(episode_return, length):
    print('episode %d/%d: return %.1f, length %d' % (
        next(ended), FLAGS.episodes, episode_return, length), flush=True)

  with policy_lib.load_policy(FLAGS.logdir, checkpoint) as policy:
    eval_env = envs.BatchedPyEnvironment([
        saved_runs.load_env(policy.metadata, FLAGS.seed + i)
        for i in range(FLAGS.episodes)])
    returns, lengths = evaluation.run_episodes(eval_env, policy.actions,
                                               on_episode_end=report)
    eval_env.close()
    if FLAGS.gif:
      write_gif(FLAGS.gif, policy, FLAGS.gif_fps)
  result = dict(logdir=FLAGS.logdir, checkpoint_step=policy.step,
                env=policy.metadata['env'],
                **evaluation.summarize(returns, lengths))
  result['returns'] = [float(x) for x in np.round(returns, 3)]
  print(json.dumps(result), flush=True)


def run():
  """Console-script entry point `graphrl-eval`."""
  cli.run(main)


if __name__ == '__main__':
  run()
