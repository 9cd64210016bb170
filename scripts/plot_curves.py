"""Plots learning curves from the episode logs of training runs.

  python scripts/plot_curves.py --logdirs='runs/*/seed_*' --out=curves.png

Each run's episode returns are smoothed by a trailing moving average over
`--window` episodes and interpolated onto an x grid shared by the runs of its
group. Runs are grouped by the name of their parent directory (runs/dqn/seed_0
and runs/dqn/seed_1 form the curve 'dqn') or by `--group_by`. A line is the
mean over a group's runs, its shaded band spans their minimum to maximum.
With `--x=step`, markers on a dashed line show the mean greedy return of
the group's evaluations (`evaluations.csv`) at the steps all its runs
evaluated at, and an ALE run's curve is of its raw game scores (`games.csv`;
its training episodes are lives with clipped rewards), on the scale of its
evaluations (`--nogames` plots the episodes).
"""

import functools
import glob
import os
import re

from absl import flags
from matplotlib.backends import backend_agg
from matplotlib import figure
import numpy as np

from graphrl.training import cli
from graphrl.training import episode_log

flags.DEFINE_list('logdirs', None, 'Run directories or glob patterns.')
flags.DEFINE_string('out', 'curve.png', 'Image file to write.')
flags.DEFINE_enum('x', 'step', ['step', 'wall_time'],
                  'x axis: environment steps or seconds since the first '
                  'episode ended.')
flags.DEFINE_integer('window', 20, 'Episodes in the moving average.',
                     lower_bound=1)
flags.DEFINE_string('group_by', None,
                    'Regex searched in each logdir; its first group (or the '
                    'whole match) names the curve. Default: parent directory.')
flags.DEFINE_integer('points', 200, 'Points of the shared x grid.',
                     lower_bound=2)
flags.DEFINE_string('title', None, 'Plot title.')
flags.DEFINE_boolean('games', True, 'With --x=step, plot the raw scores of '
                     'the whole games of ALE runs (games.csv) instead of '
                     'their training episodes.')
flags.DEFINE_boolean('evaluations', True, "With --x=step, also mark the "
                     "runs' greedy evaluations (evaluations.csv).")

FLAGS = flags.FLAGS


def expand_logdirs(patterns):
  """Sorted run directories matching `patterns` (paths or glob patterns)."""
  logdirs = []
  for pattern in patterns:
    matches = sorted(path for path in glob.glob(pattern)
                     if os.path.isdir(path))
    cli.require(matches, 'no directory matches %r' % pattern)
    logdirs.extend(matches)
  return sorted(set(logdirs))


def group_logdirs(logdirs, group_by=None):
  """Groups run directories into curves.

  Args:
    logdirs: run directories.
    group_by: regex searched in each path; its first group, or the whole
      match, is the label. None labels a run by its parent directory's name.

  Returns:
    Dict label -> list of logdirs, labels in sorted order.
  """
  groups = {}
  for logdir in logdirs:
    if group_by is None:
      label = os.path.basename(os.path.dirname(os.path.abspath(logdir)))
    else:
      match = re.search(group_by, logdir)
      cli.require(match, '--group_by=%r does not match %s' % (group_by, logdir))
      label = match.group(1) if match.groups() else match.group(0)
    groups.setdefault(label, []).append(logdir)
  return dict(sorted(groups.items()))


def moving_average(values, window):
  """Trailing mean: y_i = mean(values[max(0, i - window + 1) : i + 1])."""
  values = np.asarray(values, np.float64)
  sums = np.cumsum(np.concatenate([[0.], values]))
  ends = np.arange(1, len(values) + 1)
  starts = np.maximum(ends - window, 0)
  return (sums[ends] - sums[starts]) / (ends - starts)


def load_curve(logdir, x='step', window=20, games=False):
  """The smoothed returns of one run.

  Args:
    logdir: a run directory with an episodes.csv.
    x: 'step', or 'wall_time' for seconds since the first episode ended.
    window: episodes in the trailing moving average.
    games: with x 'step', the scores of games.csv where the run has one.

  Returns:
    Arrays (xs, ys) of shape [episodes] (or [games]).
  """
  path = os.path.join(logdir, episode_log.GAMES_FILENAME)
  if games and x == 'step' and os.path.exists(path):
    what, value = 'games', 'score'
    read = functools.partial(episode_log.read_rows, path)
  else:
    what, value = 'episodes', 'return'
    read = functools.partial(episode_log.read_episodes, logdir)
  try:
    rows = read()
  except (OSError, ValueError) as error:
    raise cli.UserError('cannot read the %s of %s: %s'
                        % (what, logdir, error)) from error
  cli.require(rows, '%s has no finished %s yet' % (logdir, what))
  xs = np.array([row[x] for row in rows], np.float64)
  if x == 'wall_time':
    xs -= xs[0]
  return xs, moving_average([row[value] for row in rows], window)


def load_evaluations(logdir):
  """Steps and mean greedy returns [evaluations] of a run, or None."""
  path = os.path.join(logdir, episode_log.EVALUATIONS_FILENAME)
  if not os.path.exists(path):
    return None
  try:
    rows = episode_log.read_rows(path)
  except ValueError as error:
    raise cli.UserError('cannot read %s: %s' % (path, error)) from error
  return (np.array([row['step'] for row in rows], np.float64),
          np.array([row['mean_return'] for row in rows], np.float64))


def aggregate_evaluations(runs):
  """Mean over runs of the evaluations at the steps every run has.

  Args:
    runs: list of (steps, means) arrays, or None for a run without any.

  Returns:
    Arrays (steps, mean) of the common steps, or None when there are none.
  """
  if not runs or any(run is None for run in runs):
    return None
  steps = functools.reduce(np.intersect1d, [run_steps for run_steps, _ in runs])
  if not steps.size:
    return None
  means = [values[np.searchsorted(run_steps, steps)]
           for run_steps, values in runs]
  return steps, np.mean(means, axis=0)


def aggregate(curves, points=200):
  """Mean, minimum and maximum of runs on their common x range.

  Args:
    curves: list of (xs, ys) arrays, xs increasing.
    points: size of the x grid.

  Returns:
    Arrays (grid, mean, low, high) of shape [points]: the ys of each run,
    linearly interpolated at `grid`, averaged and bounded over the runs.
  """
  start = max(xs[0] for xs, _ in curves)
  end = min(xs[-1] for xs, _ in curves)
  cli.require(start <= end, 'the runs of a curve share no x range: one ends '
              'at %g before another starts at %g' % (end, start))
  grid = np.linspace(start, end, points)
  ys = np.stack([np.interp(grid, xs, values) for xs, values in curves])
  return grid, ys.mean(0), ys.min(0), ys.max(0)


def draw(stats, out, xlabel, ylabel, title=None, evaluations=None):
  """Draws one line with a band per curve and writes the image `out`.

  Args:
    stats: dict label -> (grid, mean, low, high, number of runs).
    out: image path; its extension picks the format.
    xlabel: x axis label.
    ylabel: y axis label.
    title: optional title.
    evaluations: optional dict label -> (steps, mean greedy return), drawn
      as markers in the color of the label's curve.
  """
  fig = figure.Figure(figsize=(7, 4.5), dpi=100)
  backend_agg.FigureCanvasAgg(fig)
  ax = fig.add_subplot()
  for label, (grid, mean, low, high, runs) in stats.items():
    line, = ax.plot(grid, mean, label='%s (%d run%s)' % (
        label, runs, '' if runs == 1 else 's'))
    ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.2,
                    linewidth=0)
    if (evaluations or {}).get(label) is not None:
      steps, means = evaluations[label]
      ax.plot(steps, means, 'o--', color=line.get_color(), markersize=4,
              label='%s, greedy evaluations' % label)
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  ax.set_title(title or 'mean over runs, band: min to max')
  ax.grid(alpha=0.3)
  ax.legend(loc='best')
  fig.tight_layout()
  fig.savefig(out)


def main(argv):
  cli.require_no_arguments(argv)
  # Checked here, not by mark_flag_as_required: a module that imports this
  # one would inherit the requirement for every absl binary it runs.
  cli.require(FLAGS.logdirs, '--logdirs is required: the runs to plot')
  out_dir = os.path.dirname(os.path.abspath(FLAGS.out))
  cli.require(os.path.isdir(out_dir), 'no directory %s for --out' % out_dir)
  groups = group_logdirs(expand_logdirs(FLAGS.logdirs), FLAGS.group_by)
  stats, evaluations = {}, {}
  for label, logdirs in groups.items():
    curves = [load_curve(logdir, FLAGS.x, FLAGS.window, FLAGS.games)
              for logdir in logdirs]
    stats[label] = aggregate(curves, FLAGS.points) + (len(curves),)
    if FLAGS.evaluations and FLAGS.x == 'step':
      evaluations[label] = aggregate_evaluations(
          [load_evaluations(logdir) for logdir in logdirs])
  xlabel = {'step': 'environment steps',
            'wall_time': 'seconds since the first episode'}[FLAGS.x]
  ylabel = 'return (mean of last %d episodes, or games)' % FLAGS.window
  draw(stats, FLAGS.out, xlabel, ylabel, FLAGS.title, evaluations)
  print('wrote %s' % FLAGS.out)


if __name__ == '__main__':
  cli.run(main)
