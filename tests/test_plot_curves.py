"""Tests for scripts/plot_curves.py."""

import importlib.util
import os
import subprocess
import sys

from matplotlib import image
import numpy as np
import pytest

from graphrl.training import cli
from graphrl.training import episode_log

_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'scripts', 'plot_curves.py')
if 'plot_curves' in sys.modules:
  # Run as a script, this file is imported a second time by pytest: the
  # script's absl flags must be defined only once.
  plot_curves = sys.modules['plot_curves']
else:
  _spec = importlib.util.spec_from_file_location('plot_curves', _SCRIPT)
  plot_curves = importlib.util.module_from_spec(_spec)
  sys.modules['plot_curves'] = plot_curves
  _spec.loader.exec_module(plot_curves)

_HEADER = ','.join(episode_log.COLUMNS) + '\n'


def _write_run(logdir, rows):
  """Writes an episodes.csv of (step, return, wall_time) rows."""
  os.makedirs(logdir)
  with open(os.path.join(logdir, 'episodes.csv'), 'w') as f:
    f.write(_HEADER)
    for episode, (step, value, wall_time) in enumerate(rows):
      f.write('%d,%d,%r,10,%r\n' % (step, episode, value, wall_time))


def test_moving_average_is_trailing():
  # Windows of 2: [1], [1, 2], [2, 3], [3, 4].
  np.testing.assert_allclose(plot_curves.moving_average([1, 2, 3, 4], 2),
                             [1., 1.5, 2.5, 3.5])
  # A window longer than the run averages everything so far.
  np.testing.assert_allclose(plot_curves.moving_average([1, 2, 3, 4], 10),
                             [1., 1.5, 2., 2.5])


def test_group_by_parent_directory():
  logdirs = ['runs/pg_cartpole/seed_0', 'runs/dqn_cartpole/seed_1',
             'runs/dqn_cartpole/seed_0']
  assert plot_curves.group_logdirs(logdirs) == {
      'dqn_cartpole': ['runs/dqn_cartpole/seed_1', 'runs/dqn_cartpole/seed_0'],
      'pg_cartpole': ['runs/pg_cartpole/seed_0']}


def test_group_by_regex():
  logdirs = ['runs/lr0.1_seed0', 'runs/lr0.01_seed0', 'runs/lr0.1_seed1']
  # Without a group the whole match is the label.
  assert plot_curves.group_logdirs(logdirs, r'lr[\d.]+') == {
      'lr0.01': ['runs/lr0.01_seed0'],
      'lr0.1': ['runs/lr0.1_seed0', 'runs/lr0.1_seed1']}
  # With a group, the group is the label, not the whole match '/lr0.1_'.
  assert plot_curves.group_logdirs(logdirs, r'/(lr[\d.]+)_') == {
      'lr0.01': ['runs/lr0.01_seed0'],
      'lr0.1': ['runs/lr0.1_seed0', 'runs/lr0.1_seed1']}
  with pytest.raises(cli.UserError, match='does not match runs/lr0.1_seed0'):
    plot_curves.group_logdirs(logdirs, 'seed9')


def test_expand_logdirs(tmp_path):
  for name in ('a/seed_0', 'a/seed_1', 'b/seed_0'):
    os.makedirs(tmp_path / name)
  (tmp_path / 'a' / 'notes.txt').write_text('files are not runs')
  assert plot_curves.expand_logdirs(
      [str(tmp_path / 'a' / '*'), str(tmp_path / 'b' / 'seed_0')]) == [
          str(tmp_path / 'a' / 'seed_0'), str(tmp_path / 'a' / 'seed_1'),
          str(tmp_path / 'b' / 'seed_0')]
  with pytest.raises(cli.UserError, match='no directory matches'):
    plot_curves.expand_logdirs([str(tmp_path / 'c*')])


def test_load_curve(tmp_path):
  logdir = str(tmp_path / 'run')
  _write_run(logdir, [(10, 1., 1000.5), (20, 3., 1001.), (30, 8., 1003.5)])
  xs, ys = plot_curves.load_curve(logdir, 'step', window=2)
  # Returns 1, 3, 8 averaged over windows of 2: 1, 2, 5.5.
  np.testing.assert_allclose(xs, [10, 20, 30])
  np.testing.assert_allclose(ys, [1., 2., 5.5])
  xs, _ = plot_curves.load_curve(logdir, 'wall_time', window=2)
  # Seconds since the first episode ended at 1000.5.
  np.testing.assert_allclose(xs, [0., 0.5, 3.])


def test_load_curve_of_games(tmp_path):
  # An ALE run: clipped returns of lives in episodes.csv, raw game scores
  # in games.csv.
  logdir = str(tmp_path / 'run')
  _write_run(logdir, [(10, 1., 1000.5), (20, 0., 1001.)])
  with open(os.path.join(logdir, 'games.csv'), 'w') as f:
    f.write('step,score\n20,-21.0\n45,-15.0\n')
  xs, ys = plot_curves.load_curve(logdir, 'step', window=2, games=True)
  np.testing.assert_allclose(xs, [20, 45])
  np.testing.assert_allclose(ys, [-21., -18.])
  xs, ys = plot_curves.load_curve(logdir, 'step', window=2)
  np.testing.assert_allclose(ys, [1., 0.5])
  # Games have no wall times: the episodes are plotted.
  xs, _ = plot_curves.load_curve(logdir, 'wall_time', window=2, games=True)
  np.testing.assert_allclose(xs, [0., 0.5])


def test_load_curve_without_episodes_is_an_error(tmp_path):
  os.makedirs(tmp_path / 'empty')
  with pytest.raises(cli.UserError, match='cannot read the episodes'):
    plot_curves.load_curve(str(tmp_path / 'empty'))
  _write_run(str(tmp_path / 'header_only'), [])
  with pytest.raises(cli.UserError, match='no finished episodes'):
    plot_curves.load_curve(str(tmp_path / 'header_only'))


def test_aggregate_on_common_range():
  run_a = (np.array([0., 10., 20.]), np.array([0., 10., 20.]))
  run_b = (np.array([5., 15., 25.]), np.array([10., 10., 10.]))
  grid, mean, low, high = plot_curves.aggregate([run_a, run_b], points=4)
  # Common range [5, 20]; run a interpolates to y = x, run b is flat at 10.
  np.testing.assert_allclose(grid, [5., 10., 15., 20.])
  np.testing.assert_allclose(mean, [7.5, 10., 12.5, 15.])
  np.testing.assert_allclose(low, [5., 10., 10., 10.])
  np.testing.assert_allclose(high, [10., 10., 15., 20.])


def test_aggregate_of_disjoint_runs_is_an_error():
  with pytest.raises(cli.UserError, match='share no x range'):
    plot_curves.aggregate([(np.array([0., 1.]), np.zeros(2)),
                           (np.array([2., 3.]), np.zeros(2))])


def test_draw_writes_png(tmp_path):
  grid = np.linspace(0., 1., 5)
  out = str(tmp_path / 'curve.png')
  plot_curves.draw({'dqn': (grid, grid, grid - 1, grid + 1, 2)}, out,
                   'x', 'y')
  with open(out, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  assert os.path.getsize(out) > 10000


def _write_evaluations(logdir, rows):
  """Writes an evaluations.csv of (step, mean_return) rows."""
  with open(os.path.join(logdir, 'evaluations.csv'), 'w') as f:
    f.write('step,train_s,episodes,mean_return\n')
    for step, value in rows:
      f.write('%d,1.5,10,%r\n' % (step, value))


def test_load_evaluations(tmp_path):
  _write_evaluations(str(tmp_path), [(100, -21.), (200, -3.5)])
  steps, means = plot_curves.load_evaluations(str(tmp_path))
  np.testing.assert_array_equal(steps, [100, 200])
  np.testing.assert_array_equal(means, [-21., -3.5])
  assert plot_curves.load_evaluations(str(tmp_path / 'none')) is None


def test_aggregate_evaluations_on_common_steps():
  run_a = (np.array([10., 20., 30.]), np.array([1., 2., 3.]))
  run_b = (np.array([20., 30., 40.]), np.array([4., 8., 16.]))
  steps, mean = plot_curves.aggregate_evaluations([run_a, run_b])
  np.testing.assert_array_equal(steps, [20., 30.])
  np.testing.assert_array_equal(mean, [3., 5.5])  # (2+4)/2, (3+8)/2
  assert plot_curves.aggregate_evaluations([run_a, None]) is None
  assert plot_curves.aggregate_evaluations(
      [run_a, (np.array([5.]), np.array([0.]))]) is None


def test_evaluations_add_markers_to_the_plot(tmp_path):
  rows = [(s, float(s % 7), 1e9 + s) for s in range(10, 610, 10)]
  for name in ('plain', 'marked'):  # Both curves are labelled 'run'.
    _write_run(str(tmp_path / name / 'run' / 'seed_0'), rows)
  _write_evaluations(str(tmp_path / 'marked' / 'run' / 'seed_0'),
                     [(200, -5.), (400, 20.), (600, 3.)])
  images = {}
  for name in ('plain', 'marked'):
    out = str(tmp_path / (name + '.png'))
    result = _run_script('--logdirs=%s' % (tmp_path / name / 'run' / 'seed_0'),
                         '--out=' + out)
    assert result.returncode == 0, result.stderr
    images[name] = image.imread(out)
  assert images['plain'].shape == images['marked'].shape
  # Same episodes and labels: only the evaluations' markers differ.
  assert np.any(images['plain'] != images['marked'])
  no_markers = _run_script(
      '--logdirs=%s' % (tmp_path / 'marked' / 'run' / 'seed_0'),
      '--out=%s' % (tmp_path / 'none.png'), '--noevaluations')
  assert no_markers.returncode == 0, no_markers.stderr
  np.testing.assert_array_equal(image.imread(str(tmp_path / 'none.png')),
                                images['plain'])


def _run_script(*args):
  return subprocess.run([sys.executable, _SCRIPT] + list(args),
                        capture_output=True, text=True, timeout=60,
                        check=False)


def test_script_plots_grouped_runs(tmp_path):
  rng = np.random.default_rng(0)
  for run in ('dqn/seed_0', 'dqn/seed_1', 'pg/seed_0'):
    steps = np.cumsum(rng.integers(10, 50, size=60))
    _write_run(str(tmp_path / run),
               [(s, float(r), 1e9 + s / 100.) for s, r in
                zip(steps, rng.normal(size=60).cumsum())])
  out = str(tmp_path / 'curves.png')
  result = _run_script('--logdirs=%s' % (tmp_path / '*' / 'seed_*'),
                       '--out=%s' % out, '--window=5')
  assert result.returncode == 0, result.stderr
  assert result.stdout == 'wrote %s\n' % out
  assert os.path.getsize(out) > 10000


def test_script_reports_run_without_episodes(tmp_path):
  os.makedirs(tmp_path / 'runs' / 'new')
  result = _run_script('--logdirs=%s' % (tmp_path / 'runs' / 'new'),
                       '--out=%s' % (tmp_path / 'c.png'))
  assert result.returncode == 2
  assert len(result.stderr.splitlines()) == 1
  assert result.stderr.startswith('error: cannot read the episodes of')
  assert not os.path.exists(tmp_path / 'c.png')


def test_script_without_logdirs_is_a_one_line_error():
  result = _run_script()
  assert result.returncode == 2
  assert result.stderr == 'error: --logdirs is required: the runs to plot\n'


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
