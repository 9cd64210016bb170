"""Tests for graphrl.training.checkpoints."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from graphrl import resumable
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import checkpoints
from graphrl.training import cli

METADATA = {'agent': 'dqn', 'env': 'CartPole-v1', 'format': 1}


def _snapshot(directory):
  """Every file below `directory`, relative path to bytes."""
  files = {}
  for root, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(root, name)
      with open(path, 'rb') as f:
        files[os.path.relpath(path, directory)] = f.read()
  return files


def _model(value_shape=(3,), name='v'):
  """A ref and a resource variable, their saver and a value-setting op."""
  ref = tf.Variable(tf.zeros(value_shape), name=name)
  resource = tf.Variable(0, name='counter', use_resource=True)
  value = tf.placeholder(tf.float32, value_shape)
  assign = tf.group(ref.assign(value), resource.assign(7))
  return ref, resource, value, assign, tf.train.Saver()


def _save_steps(logdir, steps, keep=3, metadata=None, scores=None):
  """Saves checkpoints of `steps` with `v = [step, step, step]`, each with
  its entry of `scores` (default None)."""
  with tf.Graph().as_default():
    _, _, value, assign, saver = _model()
    manager = checkpoints.CheckpointManager(
        logdir, saver, metadata or METADATA, keep=keep)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      for step, score in zip(steps, scores or [None] * len(steps)):
        sess.run(assign, {value: [step] * 3})
        manager.save(sess, step, score=score)
  return manager


def _restore(logdir, metadata=None, step=None, **model_kwargs):
  """Restores into a fresh graph; returns (step, ref value, resource value)."""
  with tf.Graph().as_default():
    ref, resource, _, _, saver = _model(**model_kwargs)
    manager = checkpoints.CheckpointManager(logdir, saver,
                                            metadata or METADATA)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      step = manager.restore(sess, step)
      return (step,) + tuple(sess.run([ref, resource]))


def test_round_trip_restores_ref_and_resource_variables(tmp_path):
  _save_steps(str(tmp_path), [5])
  step, ref, resource = _restore(str(tmp_path))
  # The saved values: v = [5, 5, 5] and counter = 7 (not the zeros/0 that
  # the fresh graph initialised them to).
  assert step == 5
  np.testing.assert_array_equal(ref, [5., 5., 5.])
  assert resource == 7


def test_restore_of_empty_logdir_returns_none_and_writes_nothing(tmp_path):
  logdir = str(tmp_path / 'run')
  assert _restore(logdir)[0] is None
  assert not os.path.exists(logdir)


def test_keep_deletes_older_checkpoints(tmp_path):
  manager = _save_steps(str(tmp_path), [10, 20, 30, 40], keep=2)
  assert manager.steps() == [30, 40]
  assert sorted(os.listdir(manager.directory)) == [
      'checkpoint', 'ckpt-30', 'ckpt-40']
  # The TF state file names the latest kept checkpoint.
  assert tf.train.latest_checkpoint(manager.directory) == manager.path(40)
  assert _restore(str(tmp_path))[0] == 40


def test_state_file_never_names_a_deleted_checkpoint(tmp_path, monkeypatch):
  logdir = str(tmp_path)
  manager = _save_steps(logdir, [10], keep=1)

  def killed(path, *unused_args, **unused_kwargs):
    raise RuntimeError('killed while deleting %s' % path)

  # The process dies while deleting ckpt-10, after committing ckpt-20.
  monkeypatch.setattr(checkpoints.shutil, 'rmtree', killed)
  with pytest.raises(RuntimeError, match='deleted-10'):
    _save_steps(logdir, [20], keep=1)
  monkeypatch.undo()
  assert tf.train.latest_checkpoint(manager.directory) == manager.path(20)
  with open(os.path.join(manager.directory, 'checkpoint')) as f:
    assert 'ckpt-10' not in f.read()
  assert _restore(logdir)[0] == 20


def test_a_full_disk_is_a_user_error_that_keeps_the_last_checkpoint(
    tmp_path, monkeypatch):
  logdir = str(tmp_path)
  manager = _save_steps(logdir, [10])
  before = _snapshot(logdir)

  def full_disk(unused_saver, unused_sess, prefix, **unused_kwargs):
    os.makedirs(os.path.dirname(prefix))
    with open(prefix + '.data-00000-of-00001', 'wb') as f:
      f.write(b'half')
    raise tf.errors.ResourceExhaustedError(
        None, None, prefix + '.data-00000-of-00001; No space left on device')

  monkeypatch.setattr(tf.train.Saver, 'save', full_disk)
  with pytest.raises(checkpoints.CheckpointError) as error:
    _save_steps(logdir, [20])
  message = cli.one_line(error.value)
  assert message == str(error.value)
  assert 'checkpoint of step 20' in message
  assert 'ResourceExhaustedError' in message and 'No space left' in message
  assert 'the last good checkpoint is %s' % manager.path(10) in message
  assert _snapshot(logdir) == before
  assert sorted(os.listdir(manager.directory)) == ['checkpoint', 'ckpt-10']


def test_the_best_scored_checkpoint_is_kept_until_beaten(tmp_path):
  # keep=2; step 20 scores best (5) and outlives 30 and 40; step 50 (7)
  # beats it, so 20 goes; 60 (no score) does not count.
  logdir = str(tmp_path)
  manager = _save_steps(logdir, [10, 20, 30, 40], keep=2,
                        scores=[1., 5., 3., None])
  assert manager.steps() == [20, 30, 40]
  assert manager.best() == (20, 5.)
  with open(os.path.join(manager.directory, 'checkpoint')) as f:
    assert 'all_model_checkpoint_paths: "ckpt-20/ckpt"' in f.read()
  np.testing.assert_array_equal(_restore(logdir, step=20)[1], [20] * 3)
  assert _restore(logdir)[0] == 40  # Resuming takes the latest.
  manager = _save_steps(logdir, [50, 60], keep=2, scores=[7., None])
  assert manager.steps() == [50, 60]
  assert manager.best() == (50, 7.)


def test_state_file_is_relative_so_a_logdir_can_move(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  manager = _save_steps('runs/a', [10, 20], keep=2)  # A relative logdir.
  with open(os.path.join(manager.directory, 'checkpoint')) as f:
    assert f.read() == ('model_checkpoint_path: "ckpt-20/ckpt"\n'
                        'all_model_checkpoint_paths: "ckpt-10/ckpt"\n'
                        'all_model_checkpoint_paths: "ckpt-20/ckpt"\n')
  assert tf.train.latest_checkpoint('runs/a/checkpoints') == (
      'runs/a/checkpoints/ckpt-20/ckpt')
  os.rename('runs', 'moved')
  assert tf.train.latest_checkpoint(str(tmp_path / 'moved/a/checkpoints')) == (
      str(tmp_path / 'moved/a/checkpoints/ckpt-20/ckpt'))


def test_restores_the_checkpoint_of_a_kept_step(tmp_path):
  _save_steps(str(tmp_path), [10, 20, 30])
  step, ref, resource = _restore(str(tmp_path), step=20)
  assert step == 20
  np.testing.assert_array_equal(ref, [20] * 3)
  assert resource == 7
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'holds no checkpoint of step 25 \(it holds: '
                     r'10, 20, 30\)'):
    _restore(str(tmp_path), step=25)


def test_metadata_written_on_first_save(tmp_path):
  _save_steps(str(tmp_path), [1])
  with open(tmp_path / checkpoints.METADATA_FILENAME) as f:
    assert json.load(f) == METADATA
  assert not [name for name in os.listdir(tmp_path) if name.startswith('.')]


def test_second_save_of_same_step_keeps_first(tmp_path):
  logdir = str(tmp_path)
  _save_steps(logdir, [3])
  with tf.Graph().as_default():
    _, _, value, assign, saver = _model()
    manager = checkpoints.CheckpointManager(logdir, saver, METADATA)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      sess.run(assign, {value: [9.] * 3})
      manager.save(sess, 3)
  # Still the values of the first save, v = [3, 3, 3].
  np.testing.assert_array_equal(_restore(logdir)[1], [3., 3., 3.])


@pytest.mark.parametrize('other', [{'agent': 'ddpg'}, {'env': 'Pong-v5'}])
def test_metadata_mismatch_is_an_error_and_touches_nothing(tmp_path, other):
  logdir = str(tmp_path)
  _save_steps(logdir, [1, 2])
  before = _snapshot(logdir)
  metadata = dict(METADATA, **other)
  with pytest.raises(checkpoints.CheckpointError) as error:
    _restore(logdir, metadata=metadata)
  message = str(error.value)
  assert '\n' not in message
  key, value = next(iter(other.items()))
  assert '%s=%r' % (key, METADATA[key]) in message and repr(value) in message
  with pytest.raises(checkpoints.CheckpointError):
    _save_steps(logdir, [3], metadata=metadata)
  assert _snapshot(logdir) == before
  assert isinstance(error.value, cli.UserError)


def test_must_match_ignores_other_keys(tmp_path):
  logdir = str(tmp_path)
  _save_steps(logdir, [4], metadata=dict(METADATA, learning_rate=1e-3))
  with tf.Graph().as_default():
    _, _, _, _, saver = _model()
    manager = checkpoints.CheckpointManager(
        logdir, saver, dict(METADATA, learning_rate=1e-4),
        must_match=('agent', 'env'))
    with tf.Session(config=session_config()) as sess:
      assert manager.restore(sess) == 4
      manager.save(sess, 5)  # The run goes on with its new metadata.
  with open(tmp_path / checkpoints.METADATA_FILENAME) as f:
    assert json.load(f) == dict(METADATA, learning_rate=1e-4)


def _truncate_data(directory):
  data = os.path.join(directory, 'ckpt.data-00000-of-00001')
  os.truncate(data, os.path.getsize(data) // 2)


def _garbage_index(directory):
  with open(os.path.join(directory, 'ckpt.index'), 'wb') as f:
    f.write(b'not a checkpoint index' * 4)


@pytest.mark.parametrize('corrupt', [_truncate_data, _garbage_index])
def test_corrupt_checkpoint_is_an_error_and_touches_nothing(tmp_path, corrupt):
  logdir = str(tmp_path)
  manager = _save_steps(logdir, [1, 2])
  corrupt(os.path.dirname(manager.path(2)))
  before = _snapshot(logdir)
  with pytest.raises(checkpoints.CheckpointError) as error:
    _restore(logdir)
  message = str(error.value)
  assert '\n' not in message
  assert 'ckpt-2' in message and 'unreadable' in message
  assert _snapshot(logdir) == before


def test_checkpoint_of_other_model_is_an_error(tmp_path):
  _save_steps(str(tmp_path), [1])
  with pytest.raises(checkpoints.CheckpointError, match='does not fit'):
    _restore(str(tmp_path), value_shape=(4,))


def test_checkpoints_without_metadata_are_an_error(tmp_path):
  _save_steps(str(tmp_path), [1])
  os.remove(tmp_path / checkpoints.METADATA_FILENAME)
  with pytest.raises(checkpoints.CheckpointError, match='graphrl.json'):
    _restore(str(tmp_path))


def test_leftovers_are_ignored_by_restore_and_removed_by_save(tmp_path):
  logdir = str(tmp_path)
  manager = _save_steps(logdir, [1])
  partial = os.path.join(manager.directory, '.tmp-ckpt-2')
  os.makedirs(partial)
  with open(os.path.join(partial, 'ckpt.data-00000-of-00001'), 'wb') as f:
    f.write(b'half')
  assert _restore(logdir)[0] == 1
  assert os.path.isdir(partial)
  _save_steps(logdir, [2])
  assert not os.path.exists(partial)
  assert _restore(logdir)[0] == 2


def test_bad_arguments(graph, sess, tmp_path):
  del graph
  saver = _model()[-1]
  logdir = str(tmp_path)
  with pytest.raises(ValueError, match='keep'):
    checkpoints.CheckpointManager(logdir, saver, METADATA, keep=0)
  with pytest.raises(ValueError, match='JSON'):
    checkpoints.CheckpointManager(logdir, saver, {'env': object()})
  with pytest.raises(ValueError, match='seed'):
    checkpoints.CheckpointManager(logdir, saver, METADATA,
                                  must_match=('seed',))
  manager = checkpoints.CheckpointManager(logdir, saver, METADATA)
  for step in (-1, 2.5):
    with pytest.raises(ValueError, match='non-negative integer'):
      manager.save(sess, step)


def test_saving_an_older_step_raises(tmp_path):
  _save_steps(str(tmp_path), [10])
  with pytest.raises(ValueError, match='latest checkpoint .* of step 10'):
    _save_steps(str(tmp_path), [5])


# Imports TensorFlow once, then forks one saving child per line on stdin and
# reports when that child is dead; each child resumes from the logdir, then
# saves checkpoints with all variables equal to the step until it is killed.
_FORKER = textwrap.dedent("""
    import os
    import sys
    from graphrl.compat import session_config
    from graphrl.compat import tf
    from graphrl.training import checkpoints

    def save_until_killed(logdir):
      step_in = tf.placeholder(tf.int64, [])
      ref = tf.Variable(tf.zeros([256]))
      counter = tf.Variable(tf.constant(0, tf.int64), use_resource=True)
      assign = tf.group(
          ref.assign(tf.fill([256], tf.cast(step_in, tf.float32))),
          counter.assign(step_in))
      manager = checkpoints.CheckpointManager(
          logdir, tf.train.Saver(), {'agent': 'test'}, keep=2)
      with tf.Session(config=session_config()) as sess:
        sess.run(tf.global_variables_initializer())
        step = manager.restore(sess) or 0
        values, count = sess.run([ref, counter])
        assert (values == step).all() and count == step, (step, values, count)
        print('restored', os.getpid(), step, flush=True)
        while True:
          step += 1
          sess.run(assign, {step_in: step})
          manager.save(sess, step)
          print('saved', step, flush=True)

    while sys.stdin.readline():
      pid = os.fork()
      if not pid:
        save_until_killed(sys.argv[1])
      os.waitpid(pid, 0)
      print('dead', flush=True)
    """)


def test_sigkill_during_save_loop_leaves_restorable_logdir(tmp_path):
  logdir = str(tmp_path)
  rng = random.Random(0)
  forker = subprocess.Popen([sys.executable, '-c', _FORKER, logdir],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
  last_saved = 0
  for _ in range(5):
    forker.stdin.write('fork\n')
    forker.stdin.flush()
    _, pid, restored = forker.stdout.readline().split()
    # A save was announced only after it returned, so the restore finds it;
    # the kill may also have come after the next one was committed.
    assert last_saved <= int(restored) <= last_saved + 1
    last_saved = int(restored)
    time.sleep(rng.uniform(0.05, 0.25))
    os.kill(int(pid), signal.SIGKILL)
    for line in iter(forker.stdout.readline, 'dead\n'):
      last_saved = int(line.split()[1])
  forker.stdin.close()
  assert forker.wait() == 0
  forker.stdout.close()
  manager = checkpoints.CheckpointManager(logdir, None, {'agent': 'test'})
  steps = manager.steps()
  # keep=2, plus one more when killed between a commit and the deletion.
  assert len(steps) <= 3 and last_saved <= steps[-1] <= last_saved + 1
  # The last child was killed too: its latest checkpoint reads back whole.
  reader = tf.train.load_checkpoint(manager.path(steps[-1]))
  for name in reader.get_variable_to_shape_map():
    assert (reader.get_tensor(name) == steps[-1]).all()


def _place_model(names):
  """A weight and place variables `names`, with the two savers."""
  weight = tf.Variable(1.0, name='weight')
  place = [resumable.variable(0, name, dtype=tf.int64) for name in names]
  return weight, place, (tf.train.Saver(resumable.weights()),
                         tf.train.Saver(resumable.variables()))


def test_the_place_bundle_is_saved_beside_the_weights(tmp_path):
  logdir = str(tmp_path)
  with tf.Graph().as_default(), tf.Session() as sess:
    _, place, (weights, places) = _place_model(['a', 'b'])
    manager = checkpoints.CheckpointManager(logdir, weights, METADATA,
                                            place_saver=places)
    sess.run(tf.global_variables_initializer())
    sess.run([place[0].assign(5), place[1].assign(6)])
    prefix = manager.save(sess, 10)
  assert [name for name, _ in tf.train.list_variables(prefix)] == ['weight']
  assert tf.train.latest_checkpoint(os.path.join(logdir, 'checkpoints')) == prefix
  for names, restored in ((['a', 'b'], True), (['a'], True),
                          (['a', 'c'], False)):
    with tf.Graph().as_default(), tf.Session() as sess:
      _, place, (weights, places) = _place_model(names)
      manager = checkpoints.CheckpointManager(logdir, weights, METADATA,
                                              place_saver=places)
      sess.run(tf.global_variables_initializer())
      assert manager.restore(sess) == 10
      assert manager.restore_place(sess, 10) is restored
      if restored:
        assert sess.run(place[0]) == 5


def test_a_checkpoint_without_a_place_bundle_restores_none(tmp_path):
  logdir = str(tmp_path)
  _save_steps(logdir, [4])
  with tf.Graph().as_default(), tf.Session() as sess:
    _, _, _, _, saver = _model()
    _, place, (_, places) = _place_model(['a'])
    manager = checkpoints.CheckpointManager(logdir, saver, METADATA,
                                            place_saver=places)
    sess.run(tf.global_variables_initializer())
    assert manager.restore(sess) == 4
    assert not manager.restore_place(sess, 4)
    assert sess.run(place[0]) == 0


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
