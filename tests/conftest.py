"""Shared pytest fixtures: every test builds its graph in a fresh `tf.Graph`."""

import pytest

from graphrl.compat import session_config
from graphrl.compat import tf


@pytest.fixture
def graph():
  """A fresh default graph with a fixed graph-level seed."""
  g = tf.Graph()
  with g.as_default():
    tf.set_random_seed(0)
    yield g


@pytest.fixture
def sess(graph):  # pylint: disable=redefined-outer-name
  """A single-threaded session on `graph`."""
  with tf.Session(graph=graph, config=session_config()) as session:
    yield session
