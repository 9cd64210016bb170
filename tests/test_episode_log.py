"""Tests for graphrl.training.episode_log."""

import itertools
import os
import sys

import pytest

from graphrl.training import episode_log


def _log(logdir):
  """An EpisodeLog whose wall_time column counts 100, 101, ..."""
  return episode_log.EpisodeLog(str(logdir),
                                clock=itertools.count(100.).__next__)


def test_writes_header_once_and_rows(tmp_path):
  with _log(tmp_path) as log:
    log.append(200, 0, 12.5, 200, epsilon=0.5)
    log.append(350, 1, -3.0, 150, epsilon=0.25)
  with open(tmp_path / 'episodes.csv') as f:
    assert f.read() == ('step,episode,return,length,wall_time,epsilon\n'
                        '200,0,12.5,200,100.0,0.5\n'
                        '350,1,-3.0,150,101.0,0.25\n')


def test_rows_are_flushed_per_append(tmp_path):
  log = _log(tmp_path)
  log.append(10, 0, 1.0, 10)
  # Readable before close, as after a SIGKILL.
  assert episode_log.read_episodes(str(tmp_path)) == [
      {'step': 10, 'episode': 0, 'return': 1.0, 'length': 10,
       'wall_time': 100.0}]
  log.close()


def test_read_episodes_parses_numbers(tmp_path):
  path = tmp_path / 'episodes.csv'
  path.write_text('step,episode,return,length,wall_time,note\n'
                  '5,0,2,5,1.5e9,x\n')
  rows = episode_log.read_episodes(str(path))
  assert rows == [{'step': 5, 'episode': 0, 'return': 2, 'length': 5,
                   'wall_time': 1.5e9, 'note': 'x'}]
  assert isinstance(rows[0]['step'], int)
  assert isinstance(rows[0]['wall_time'], float)


def test_appends_to_existing_log(tmp_path):
  with _log(tmp_path) as log:
    log.append(10, 0, 1.0, 10, loss=0.1)
  with _log(tmp_path) as log:
    log.append(20, 1, 2.0, 10, loss=0.2)
  rows = episode_log.read_episodes(str(tmp_path))
  assert [row['episode'] for row in rows] == [0, 1]
  assert [row['loss'] for row in rows] == [0.1, 0.2]


def test_truncate_after_drops_rows_past_checkpoint(tmp_path):
  with _log(tmp_path) as log:
    for episode, step in enumerate([100, 200, 300, 400]):
      log.append(step, episode, 1.0, 100)
    log.truncate_after(250)
    # The resumed run continues from step 250 and episode 2.
    log.append(320, 2, 5.0, 70)
  rows = episode_log.read_episodes(str(tmp_path))
  assert [(row['step'], row['episode']) for row in rows] == [
      (100, 0), (200, 1), (320, 2)]
  assert [name for name in os.listdir(tmp_path)] == ['episodes.csv']


def test_truncate_after_zero_keeps_only_header(tmp_path):
  with _log(tmp_path) as log:
    log.append(100, 0, 1.0, 100)
    log.truncate_after(0)
  with open(tmp_path / 'episodes.csv') as f:
    assert f.read() == 'step,episode,return,length,wall_time\n'


def test_truncate_after_without_log_is_a_no_op(tmp_path):
  _log(tmp_path).truncate_after(10)
  assert not os.listdir(tmp_path)


def test_unfinished_last_line_is_ignored_and_dropped(tmp_path):
  path = tmp_path / 'episodes.csv'
  # A run killed while writing its third row.
  path.write_text('step,episode,return,length,wall_time\n'
                  '10,0,1.0,10,1.0\n20,1,2.0,10,2.0\n30,2,3.')
  assert len(episode_log.read_episodes(str(tmp_path))) == 2
  with _log(tmp_path) as log:
    log.append(30, 2, 7.0, 10)
  assert path.read_text().endswith('20,1,2.0,10,2.0\n30,2,7.0,10,100.0\n')


def test_changed_columns_raise(tmp_path):
  with _log(tmp_path) as log:
    log.append(10, 0, 1.0, 10, epsilon=0.1)
    with pytest.raises(ValueError, match='columns'):
      log.append(20, 1, 1.0, 10)
  with pytest.raises(ValueError, match='columns'):
    _log(tmp_path).append(20, 1, 1.0, 10, loss=1.0)


def test_other_csv_is_not_an_episode_log(tmp_path):
  (tmp_path / 'episodes.csv').write_text('a,b\n1,2\n')
  with pytest.raises(ValueError, match='not an episode log'):
    episode_log.read_episodes(str(tmp_path))
  with pytest.raises(ValueError, match='not an episode log'):
    _log(tmp_path)


def test_ragged_row_raises(tmp_path):
  (tmp_path / 'episodes.csv').write_text(
      'step,episode,return,length,wall_time\n1,2\n')
  with pytest.raises(ValueError, match='line 2 has 2 fields'):
    episode_log.read_episodes(str(tmp_path))


def test_atomic_write_replaces_file(tmp_path):
  path = tmp_path / 'state.txt'
  path.write_text('old')
  episode_log.atomic_write(str(path), 'new')
  assert path.read_text() == 'new'
  assert os.listdir(tmp_path) == ['state.txt']


def test_step_log_appends_truncates_and_reopens(tmp_path):
  logdir = str(tmp_path)
  with episode_log.StepLog(logdir, 'evaluations.csv') as log:
    for step in (100, 200, 300):
      log.append(step, mean_return=step / 10)
    log.truncate_after(200)
  # A reopened log keeps its columns and refuses others.
  with episode_log.StepLog(logdir, 'evaluations.csv') as log:
    log.append(250, mean_return=7.5)
    with pytest.raises(ValueError, match='has columns step,mean_return'):
      log.append(260, other=1)
  rows = episode_log.read_rows(os.path.join(logdir, 'evaluations.csv'))
  assert rows == [{'step': 100, 'mean_return': 10.0},
                  {'step': 200, 'mean_return': 20.0},
                  {'step': 250, 'mean_return': 7.5}]


def test_read_rows_refuses_a_file_without_step_column(tmp_path):
  path = tmp_path / 'x.csv'
  path.write_text('a,b\n1,2\n')
  with pytest.raises(ValueError, match='is not a step log'):
    episode_log.read_rows(str(path))


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
