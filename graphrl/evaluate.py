r"""Evaluates a trained agent: `python -m graphrl.evaluate --logdir=runs/x`.

Rebuilds the agent from the logdir's `graphrl.json`, restores the policy
weights of its latest checkpoint (a weights-only checkpoint is enough), runs
`--episodes` greedy episodes and prints a JSON summary as the last stdout
line: mean/std/min/max return and the number of episodes. `--gif` writes one
greedy episode as an animated GIF.
"""

import json
import os

from absl import flags
import numpy as np

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl import envs
from graphrl.training import checkpoints
from graphrl.training import cli
from graphrl.training import evaluation
from graphrl.training import saved_runs

FLAGS = flags.FLAGS

flags.DEFINE_string('logdir', None, 'Logdir of a training run.')
flags.DEFINE_integer('episodes', 20, 'Greedy episodes to run.')
flags.DEFINE_integer('seed', 100000, 'Seed of the evaluation environments.')
flags.DEFINE_string('gif', None, 'Write one greedy episode to this GIF file.')
flags.DEFINE_integer('gif_fps', 30, 'Frames per second of the GIF.')


def start_greedy_episodes(sess, agent):
  """Zeroes the evaluation state of a recurrent agent (A2C's GRU torso)."""
  if agent.eval_reset is not None:
    sess.run(agent.eval_reset)


def write_gif(path, sess, agent, metadata, fps):
  """Renders one greedy episode to an animated GIF at `path`."""
  import imageio  # pylint: disable=g-import-not-at-top
  # Frames are drawn off-screen; without this pygame's SDL probes for a
  # display and prints an error line.
  os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')
  env = saved_runs.load_env(metadata, FLAGS.seed, render_mode='rgb_array')
  time_step = env.reset()
  start_greedy_episodes(sess, agent)
  frames = [env.render()]
  while not time_step.is_last():
    action = sess.run(agent.greedy_action,
                      {agent.observ: time_step.observation[None]})[0]
    time_step = env.step(action)
    frames.append(env.render())
  env.close()
  imageio.mimsave(path, frames, duration=1000.0 / fps, loop=0)
  print('Wrote %d frames to %s.' % (len(frames), path), flush=True)


def main(argv):
  cli.require(len(argv) == 1, 'unexpected arguments: %s' % ' '.join(argv[1:]))
  cli.require(FLAGS.logdir, '--logdir is required')
  cli.require(FLAGS.episodes > 0, '--episodes must be positive')
  metadata = saved_runs.read_metadata(FLAGS.logdir)
  eval_env = envs.BatchedPyEnvironment([
      saved_runs.load_env(metadata, FLAGS.seed + i)
      for i in range(FLAGS.episodes)])
  agent = saved_runs.build_agent(metadata, eval_env)
  saver = tf.train.Saver(agent.policy_variables)
  manager = checkpoints.CheckpointManager(
      FLAGS.logdir, saver, metadata, must_match=('agent', 'env'))
  with tf.Session(config=session_config()) as sess:
    step = manager.restore(sess)
    cli.require(step is not None, '%s holds no checkpoint' % FLAGS.logdir)

    def policy(observ):
      return sess.run(agent.greedy_action, {agent.observ: observ})

    start_greedy_episodes(sess, agent)
    returns, lengths = evaluation.run_episodes(eval_env, policy)
    if FLAGS.gif:
      write_gif(FLAGS.gif, sess, agent, metadata, FLAGS.gif_fps)
  eval_env.close()
  result = dict(logdir=FLAGS.logdir, checkpoint_step=step, env=metadata['env'],
                **evaluation.summarize(returns, lengths))
  result['returns'] = [float(x) for x in np.round(returns, 3)]
  print(json.dumps(result), flush=True)


def run():
  """Console-script entry point `graphrl-eval`."""
  cli.run(main)


if __name__ == '__main__':
  run()
