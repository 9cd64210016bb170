"""CSV logs of a training run: `StepLog` and the episode log `episodes.csv`.

`EpisodeLog` writes one row per finished episode: step, episode, return,
length, wall_time and any extra columns the agent reports; `StepLog` rows of
other records (e.g. evaluations) keyed by step. Rows are flushed as they are
written, so a killed run loses at most the row being written;
`truncate_after` drops rows newer than the checkpoint a run resumes from.
Also holds `atomic_write`, the crash-safe file replacement the training
runtime uses for small files.
"""

import csv
import io
import os
import time

FILENAME = 'episodes.csv'
COLUMNS = ('step', 'episode', 'return', 'length', 'wall_time')
STEP_COLUMNS = ('step',)
# The `StepLog`s of the training loops: greedy evaluations, and the raw
# scores of whole games when training episodes are lives.
EVALUATIONS_FILENAME = 'evaluations.csv'
GAMES_FILENAME = 'games.csv'
# Names of temporary files start with this; a killed process may leave them.
TEMP_PREFIX = '.tmp-'


def atomic_write(path, text):
  """Replaces the file `path` by `text` so readers see the old or new file.

  Writes a temp file next to `path`, fsyncs it, renames it over `path` and
  fsyncs the directory, so neither a killed process nor a power loss leaves a
  half-written file.

  Args:
    path: the file to (re)write.
    text: its new content.
  """
  directory = os.path.dirname(os.path.abspath(path))
  temp = os.path.join(directory, '%s%s-%d' % (
      TEMP_PREFIX, os.path.basename(path), os.getpid()))
  with open(temp, 'w', newline='', encoding='utf-8') as f:
    f.write(text)
    f.flush()
    os.fsync(f.fileno())
  os.replace(temp, path)
  fsync_directory(directory)


def fsync_directory(directory):
  """Makes the renames and deletions in `directory` durable."""
  fd = os.open(directory, os.O_RDONLY)
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


def _number(text):
  """`text` as an int or float when it is one, else unchanged."""
  for kind in (int, float):
    try:
      return kind(text)
    except ValueError:
      pass
  return text


def _complete_lines(path):
  """The lines of `path` that end in a newline (a killed write does not)."""
  with open(path, newline='', encoding='utf-8') as f:
    lines = f.read().splitlines(keepends=True)
  return [line for line in lines if line.endswith('\n')]


def _drop_unfinished_line(path):
  """Cuts the file at `path` after its last newline."""
  with open(path, 'rb+') as f:
    f.truncate(f.read().rfind(b'\n') + 1)


def _parse(path, columns=COLUMNS):
  """Header and rows (lists of strings) of the complete lines of `path`.

  The header must start with `columns`.
  """
  lines = _complete_lines(path)
  if not lines:
    return None, []
  rows = list(csv.reader(lines))
  header = rows[0]
  if tuple(header[:len(columns)]) != tuple(columns):
    kind = 'an episode log' if columns == COLUMNS else 'a step log'
    raise ValueError('%s is not %s: header %s does not start with %s' % (
        path, kind, ','.join(header), ','.join(columns)))
  for number, row in enumerate(rows[1:], start=2):
    if len(row) != len(header):
      raise ValueError('%s line %d has %d fields, the header %d'
                       % (path, number, len(row), len(header)))
  return header, rows[1:]


def read_episodes(path_or_logdir):
  """Reads an episode log.

  Args:
    path_or_logdir: an `episodes.csv` file or the logdir holding one.

  Returns:
    A list of dicts, one per episode, column name to value; numeric values
    are ints or floats. An unfinished last line is ignored.

  Raises:
    FileNotFoundError: there is no episode log.
    ValueError: the file is not an episode log.
  """
  path = path_or_logdir
  if os.path.isdir(path):
    path = os.path.join(path, FILENAME)
  return _read(path, COLUMNS)


def read_rows(path):
  """Reads a `StepLog` file: a list of dicts as for `read_episodes`."""
  return _read(path, STEP_COLUMNS)


def _read(path, columns):
  header, rows = _parse(path, columns)
  return [dict(zip(header, map(_number, row))) for row in rows]


class StepLog:
  """Appends rows keyed by an environment step to a CSV file of a logdir.

  The columns are fixed by the existing file or else by the first `append`:
  `step` followed by the names of its values. Rows are flushed as written.
  """

  _columns = STEP_COLUMNS

  def __init__(self, logdir, filename):
    os.makedirs(logdir, exist_ok=True)
    self._path = os.path.join(logdir, filename)
    self._header = None
    if os.path.exists(self._path):
      self._header, _ = _parse(self._path, self._columns)
    self._file = None

  @property
  def path(self):
    return self._path

  def append(self, step, **values):
    """Writes the row of `step` and flushes it to the file.

    Raises:
      ValueError: the values' names differ from the log's columns.
    """
    header = ['step'] + list(values)
    if self._header is None:
      self._header = header
      self._write_line(header)
    elif sorted(header) != sorted(self._header):
      raise ValueError('log %s has columns %s, got %s'
                       % (self._path, ','.join(self._header), ','.join(header)))
    values['step'] = step
    self._write_line([values[name] for name in self._header])

  def truncate_after(self, step):
    """Atomically drops the rows with a step greater than `step`.

    Call it when resuming from the checkpoint of `step` (0 when starting
    afresh) so the episodes played after that checkpoint are not logged twice.
    An unfinished last line is dropped too.

    Args:
      step: the step of the restored checkpoint.
    """
    self.close()
    if not os.path.exists(self._path):
      return
    header, rows = _parse(self._path, self._columns)
    if header is None:
      return
    position = header.index('step')
    kept = [row for row in rows if _number(row[position]) <= step]
    text = io.StringIO()
    csv.writer(text, lineterminator='\n').writerows([header] + kept)
    atomic_write(self._path, text.getvalue())

  def close(self):
    if self._file:
      self._file.close()
      self._file = None

  def _write_line(self, fields):
    if self._file is None:
      if os.path.exists(self._path):
        _drop_unfinished_line(self._path)
      self._file = open(self._path, 'a', newline='', encoding='utf-8')
    csv.writer(self._file, lineterminator='\n').writerow(fields)
    self._file.flush()

  def __enter__(self):
    return self

  def __exit__(self, *unused_exc_info):
    self.close()


class EpisodeLog(StepLog):
  """Appends finished episodes to `logdir/episodes.csv`.

  The columns are `COLUMNS` followed by the names of the first `append`'s
  extras.
  """

  _columns = COLUMNS

  def __init__(self, logdir, clock=time.time):
    """Opens the log of `logdir`; `clock()` gives the wall_time column."""
    super().__init__(logdir, FILENAME)
    self._clock = clock

  # pylint: disable-next=arguments-differ
  def append(self, step, episode, episode_return, length, **extras):
    """Writes one episode's row and flushes it to the file.

    Args:
      step: environment steps taken when the episode finished.
      episode: index of the episode.
      episode_return: undiscounted sum of the episode's rewards.
      length: number of steps of the episode.
      **extras: further numeric columns, e.g. `epsilon=0.1`.

    Raises:
      ValueError: the extras differ from the log's columns.
    """
    values = {'episode': episode, 'return': episode_return, 'length': length,
              'wall_time': self._clock(), **extras}
    super().append(step, **values)
