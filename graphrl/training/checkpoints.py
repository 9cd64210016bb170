"""Crash-safe checkpoints of a training run: `CheckpointManager`.

Layout of a logdir:

  graphrl.json                   what wrote the run, e.g. agent and env
  checkpoints/ckpt-<step>/ckpt.* one `tf.train.Saver` V2 bundle per checkpoint
  checkpoints/ckpt-<step>/place.* the run's place (`graphrl.resumable`),
                                 where the run's loop saves one
  checkpoints/checkpoint         TF state file, for `tf.train.latest_checkpoint`
  checkpoints/best.json          {"step", "score"} of the best-scored one

The Saver writes a bundle as a data file and then an index file; a process
killed in between leaves a checkpoint that cannot be read. So a checkpoint is
written into a temporary `checkpoints/.tmp-*` directory, fsynced, and
committed by renaming that directory to `ckpt-<step>`, which is atomic: a
`ckpt-<step>` directory is always complete, and the latest checkpoint is the
one with the largest step. The state file is pointed at the checkpoints
that stay before old ones are deleted, so it never names a missing one; old
checkpoints are renamed to `.tmp-*` before they are deleted, and `save`
removes the `.tmp-*` leftovers of killed processes. A save that cannot write
(a full disk) removes its temporary directory and raises a `CheckpointError`
naming the last good checkpoint.
The place bundle holds where a run is rather than what it learned (random
draw counters, environment state); `restore_place` restores it only into a
graph that holds the same place variables, so other tools, and a run of
another loop, read the weights bundle alone.
A checkpoint saved with a score (the greedy evaluation of its step) that
beats all earlier scores is kept besides the latest ones until a better one
comes: learning curves of DQN on Atari rise and fall, and the best policy
is often not the last.
"""

import json
import numbers
import os
import re
import shutil

from graphrl.compat import tf
from graphrl.training import cli
from graphrl.training import episode_log

METADATA_FILENAME = 'graphrl.json'
CHECKPOINT_DIR = 'checkpoints'
_PREFIX = 'ckpt'
_PLACE = 'place'
_COMMITTED = re.compile(r'^ckpt-(\d+)$')
_BEST = 'best.json'
_TEMP = episode_log.TEMP_PREFIX


class CheckpointError(cli.UserError):
  """The checkpoints in a logdir cannot be used by this run."""


def committed_steps(logdir):
  """Steps of the complete checkpoints in `logdir`, in increasing order."""
  directory = os.path.join(logdir, CHECKPOINT_DIR)
  if not os.path.isdir(directory):
    return []
  matches = [_COMMITTED.match(name) for name in os.listdir(directory)]
  return sorted(int(match.group(1)) for match in matches if match)


def last_checkpoint_dir(logdir):
  """The directory of the latest complete checkpoint in `logdir`, or
  'none': what an error line names for a rerun to resume from."""
  steps = committed_steps(logdir)
  if not steps:
    return 'none'
  return os.path.join(logdir, CHECKPOINT_DIR, 'ckpt-%d' % steps[-1])


def stored_metadata(logdir):
  """The `graphrl.json` of `logdir` as a dict, or None when it has none.

  Raises:
    CheckpointError: the file does not hold a JSON object.
  """
  path = os.path.join(logdir, METADATA_FILENAME)
  if not os.path.exists(path):
    return None
  try:
    with open(path, encoding='utf-8') as f:
      stored = json.load(f)
  except ValueError as error:
    raise CheckpointError(
        '%s is not valid JSON (%s)' % (path, error)) from error
  if not isinstance(stored, dict):
    raise CheckpointError('%s does not hold a JSON object' % path)
  return stored


def _reason(error):
  """The first line of the original message of a TF error."""
  message = str(error)
  # Session errors read 'Graph execution error: ... Node: <name>\n<original>'.
  match = re.search(r"^Node: '[^']*'\n(.+)$", message, re.MULTILINE)
  reason = match.group(1) if match else message.strip().splitlines()[0]
  return '%s: %s' % (type(error).__name__, reason.strip())


def _fsync_tree(directory):
  """Flushes every file below `directory`, and the directories, to disk."""
  for root, _, files in os.walk(directory):
    for name in files:
      with open(os.path.join(root, name), 'rb') as f:
        os.fsync(f.fileno())
    episode_log.fsync_directory(root)


class CheckpointManager:
  """Saves and restores the variables of a `tf.train.Saver` in a logdir.

  `save` never leaves a partial checkpoint behind, whenever the process is
  killed; `restore` reads the latest checkpoint and never modifies the logdir.
  """

  def __init__(self, logdir, saver, metadata, keep=3, must_match=None,
               place_saver=None):
    """Creates a manager; touches no file.

    Args:
      logdir: the run's directory.
      saver: a `tf.train.Saver` (V2 format) of the variables to checkpoint.
      metadata: JSON-able dict describing the run, e.g.
        `{'agent': 'dqn', 'env': 'CartPole-v1', 'format': 1}`.
      keep: number of most recent checkpoints kept, at least 1.
      must_match: keys of `metadata` whose values must equal those stored in
        the logdir for its checkpoints to be used; all keys by default.
      place_saver: optional `tf.train.Saver` of the run's place variables,
        saved beside `saver`'s in each checkpoint (`restore_place`).

    Raises:
      ValueError: `keep` < 1, `metadata` is not JSON-able, or `must_match`
        names keys that `metadata` lacks.
    """
    if keep < 1:
      raise ValueError('keep must be at least 1, got %r' % (keep,))
    try:  # As read back from graphrl.json: lists for tuples.
      metadata = json.loads(json.dumps(metadata))
    except (TypeError, ValueError) as error:
      raise ValueError('metadata must be JSON-able: %s' % error) from error
    must_match = tuple(metadata if must_match is None else must_match)
    missing = [key for key in must_match if key not in metadata]
    if missing:
      raise ValueError('must_match names keys missing from metadata: %s'
                       % ', '.join(missing))
    self._logdir = logdir
    self._directory = os.path.join(logdir, CHECKPOINT_DIR)
    self._saver = saver
    self._place_saver = place_saver
    self._metadata = metadata
    self._must_match = must_match
    self._keep = keep

  @property
  def directory(self):
    """The directory holding the checkpoints, `logdir/checkpoints`."""
    return self._directory

  def steps(self):
    """Steps of the complete checkpoints, in increasing order."""
    return committed_steps(self._logdir)

  def path(self, step):
    """The Saver prefix of the checkpoint of `step`."""
    return os.path.join(self._directory, 'ckpt-%d' % step, _PREFIX)

  def best(self):
    """(step, score) of the best-scored kept checkpoint, or None."""
    path = os.path.join(self._directory, _BEST)
    if not os.path.exists(path):
      return None
    with open(path, encoding='utf-8') as f:
      best = json.load(f)
    if best['step'] not in self.steps():
      return None
    return best['step'], best['score']

  def restore(self, sess, step=None):
    """Restores the latest checkpoint, or that of `step`, into `sess`.

    Args:
      sess: a `tf.Session` on the graph of the saver.
      step: the step of a kept checkpoint; None for the latest.

    Returns:
      The step of the restored checkpoint, or None when there is none.

    Raises:
      CheckpointError: the logdir holds a run with other metadata, holds
        no checkpoint of `step`, or the checkpoint is unreadable or does not
        fit the graph.
    """
    self._check_metadata()
    steps = self.steps()
    if step is not None and step not in steps:
      raise CheckpointError('%s holds no checkpoint of step %d (it holds: %s)'
                            % (self._directory, step, ', '.join(
                                map(str, steps)) or 'none'))
    if not steps:
      return None
    step = steps[-1] if step is None else step
    path = self.path(step)
    try:
      self._saver.restore(sess, path)
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as error:
      raise CheckpointError(
          'checkpoint %s does not fit this model (%s); was it written with '
          'other settings?' % (path, _reason(error))) from error
    except (tf.errors.OpError, ValueError) as error:
      older = ', '.join('ckpt-%d' % older for older in steps
                        if older < step) or 'none'
      raise CheckpointError(
          'checkpoint %s is unreadable (%s); move it away to resume from an '
          'older one (%s)' % (path, _reason(error), older)) from error
    return step

  def restore_place(self, sess, step):
    """Restores the place bundle of the checkpoint of `step` into `sess`.

    Returns:
      Whether it did: False for a checkpoint without one (written before
      runs saved their place) or one of another graph's place variables
      (another loop, or settings that change their shapes); the run's
      loop then starts its environments afresh.
    """
    prefix = os.path.join(os.path.dirname(self.path(step)), _PLACE)
    try:
      self._place_saver.restore(sess, prefix)
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError,
            ValueError):
      return False
    return True

  def save(self, sess, step, score=None):
    """Saves the variables as the checkpoint of `step`.

    Writes `graphrl.json` on the first save, and again when the metadata
    differs from the stored one (the run goes on with changed settings, or
    keys that `must_match` leaves free). Keeps the `keep` latest
    checkpoints and the best-scored one. A checkpoint of `step` that exists
    already is kept as is.

    Args:
      sess: a `tf.Session` on the graph of the saver.
      step: non-negative int, the training step the variables belong to.
      score: a float to rank the checkpoint by (higher is better), e.g. the
        mean return of a greedy evaluation at `step`; None: unranked.

    Returns:
      The Saver prefix of the checkpoint.

    Raises:
      CheckpointError: the logdir holds a run with other metadata, or the
        checkpoint cannot be written (e.g. the disk is full).
      ValueError: `step` is not a non-negative integer or is older than the
        latest checkpoint.
    """
    if not isinstance(step, numbers.Integral) or step < 0:
      raise ValueError('step must be a non-negative integer, got %r' % (step,))
    step = int(step)
    steps = self.steps()
    if steps and step < steps[-1]:
      raise ValueError('cannot save step %d: the latest checkpoint in %s is '
                       'of step %d' % (step, self._directory, steps[-1]))
    if self._check_metadata() != self._metadata:
      os.makedirs(self._logdir, exist_ok=True)
      episode_log.atomic_write(
          os.path.join(self._logdir, METADATA_FILENAME),
          json.dumps(self._metadata, indent=2, sort_keys=True) + '\n')
    os.makedirs(self._directory, exist_ok=True)
    self._remove_leftovers()
    if step not in steps:
      self._commit(sess, step, steps)
    best = self.best()
    if score is not None and (best is None or score > best[1]):
      episode_log.atomic_write(
          os.path.join(self._directory, _BEST),
          json.dumps({'step': step, 'score': float(score)}) + '\n')
    self._delete_old()
    return self.path(step)

  def _commit(self, sess, step, steps):
    """Writes the checkpoint of `step` in a temporary directory, then
    renames it into place; `steps` are those of the existing checkpoints."""
    temp = os.path.join(self._directory, '%sckpt-%d' % (_TEMP, step))
    try:
      for saver, prefix in ((self._saver, _PREFIX),
                            (self._place_saver, _PLACE)):
        if saver is not None:
          saver.save(sess, os.path.join(temp, prefix),
                     write_meta_graph=False, write_state=False)
      _fsync_tree(temp)
    except (tf.errors.ResourceExhaustedError, OSError) as error:
      shutil.rmtree(temp, ignore_errors=True)
      raise CheckpointError(
          'cannot write the checkpoint of step %d in %s (%s); the last good '
          'checkpoint is %s' % (step, self._directory, _reason(error),
                                self.path(steps[-1]) if steps else 'none')
      ) from error
    os.rename(temp, os.path.dirname(self.path(step)))
    episode_log.fsync_directory(self._directory)

  def _check_metadata(self):
    """Compares the logdir's metadata with ours; returns it or None."""
    stored = stored_metadata(self._logdir)
    if stored is None:
      if self.steps():
        raise CheckpointError(
            '%s holds checkpoints but no %s, so the run that wrote them is '
            'unknown; use a new logdir' % (self._logdir, METADATA_FILENAME))
      return None
    differ = [key for key in self._must_match
              if stored.get(key) != self._metadata[key]]
    if differ:
      theirs = ', '.join('%s=%r' % (key, stored.get(key)) for key in differ)
      ours = ', '.join('%s=%r' % (key, self._metadata[key]) for key in differ)
      raise CheckpointError(
          '%s holds a run with %s, not %s; use a new logdir'
          % (self._logdir, theirs, ours))
    return stored

  def _remove_leftovers(self):
    """Deletes the temporary files and directories of killed processes."""
    for name in os.listdir(self._directory):
      path = os.path.join(self._directory, name)
      if not name.startswith(_TEMP):
        continue
      if os.path.isdir(path):
        shutil.rmtree(path)
      else:
        os.remove(path)

  def _delete_old(self):
    """Deletes all but the `keep` latest and the best, each atomically,
    after pointing the state file at the checkpoints that stay."""
    best = self.best()
    steps = self.steps()
    old = [step for step in steps[:-self._keep]
           if best is None or step != best[0]]
    self._write_state([step for step in steps if step not in old])
    for step in old:
      doomed = os.path.join(self._directory, '%sdeleted-%d' % (_TEMP, step))
      os.rename(os.path.dirname(self.path(step)), doomed)
      shutil.rmtree(doomed)
    episode_log.fsync_directory(self._directory)

  def _write_state(self, steps):
    """Points TF's `checkpoint` state file at the checkpoints of `steps`.

    The paths are relative to the directory, so that the logdir can move
    (`tf.train.latest_checkpoint` joins them to it). TF's own helper,
    `generate_checkpoint_state_proto`, takes them relative to the working
    directory instead, and keeps absolute ones absolute.
    """
    paths = [os.path.relpath(self.path(step), self._directory)
             for step in steps]
    lines = ['model_checkpoint_path: "%s"' % paths[-1]] + [
        'all_model_checkpoint_paths: "%s"' % path for path in paths]
    episode_log.atomic_write(
        os.path.join(self._directory, 'checkpoint'), '\n'.join(lines) + '\n')
