"""Tests for graphrl.training.summaries."""

import glob
import os
import sys

import numpy as np
import pytest

from graphrl.compat import tf
from graphrl.training import summaries


def _events(logdir):
  """All events of the single event file in `logdir`."""
  paths = glob.glob(os.path.join(logdir, 'events.out.tfevents.*'))
  assert len(paths) == 1
  return list(tf.train.summary_iterator(paths[0]))


def _points(events):
  """(tag, step, value) of every scalar in `events`."""
  return [(value.tag, event.step, value.simple_value)
          for event in events for value in event.summary.value]


def test_scalars_read_back(tmp_path):
  with summaries.ScalarWriter(str(tmp_path)) as writer:
    writer.scalar('train/loss', 0.5, step=10)
    writer.scalars({'episode/return': np.float32(21.0), 'episode/length': 7},
                   step=12)
  # simple_value is a float32: 0.5, 21 and 7 are exact.
  assert _points(_events(str(tmp_path))) == [
      ('train/loss', 10, 0.5), ('episode/return', 12, 21.0),
      ('episode/length', 12, 7.0)]


def test_flush_makes_points_readable_before_close(tmp_path):
  writer = summaries.ScalarWriter(str(tmp_path), flush_secs=3600)
  writer.scalar('a', 1.0, 1)
  writer.flush()
  assert _points(_events(str(tmp_path))) == [('a', 1, 1.0)]
  writer.close()


def test_add_graph_writes_graph_def(tmp_path, graph):
  tf.constant(1.0, name='some_constant')
  with summaries.ScalarWriter(str(tmp_path)) as writer:
    writer.add_graph(graph)
  graph_events = [e for e in _events(str(tmp_path)) if e.graph_def]
  assert len(graph_events) == 1
  graph_def = tf.GraphDef.FromString(graph_events[0].graph_def)
  assert [node.name for node in graph_def.node] == ['some_constant']


def test_resume_step_writes_session_start(tmp_path):
  with summaries.ScalarWriter(str(tmp_path), resume_step=300):
    pass
  starts = [e for e in _events(str(tmp_path))
            if e.session_log.status == tf.SessionLog.START]
  assert [e.step for e in starts] == [300]


def test_discard_deletes_only_its_own_event_file(tmp_path):
  earlier = tmp_path / 'events.out.tfevents.1.earlier-run'
  earlier.write_bytes(b'points of an earlier run')
  with summaries.ScalarWriter(str(tmp_path), resume_step=1) as writer:
    writer.scalar('a', 2.0, 2)
    writer.flush()
    assert len(os.listdir(tmp_path)) == 2
    writer.discard()
  assert os.listdir(tmp_path) == [earlier.name]
  assert earlier.read_bytes() == b'points of an earlier run'


@pytest.mark.parametrize('values,message', [
    ({'': 1.0}, 'tag'), ({3: 1.0}, 'tag'), ({'x': 'high'}, 'real number'),
    ({'x': np.ones(2)}, 'real number')])
def test_bad_scalars_raise(tmp_path, values, message):
  with summaries.ScalarWriter(str(tmp_path)) as writer:
    with pytest.raises(ValueError, match=message):
      writer.scalars(values, 0)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
