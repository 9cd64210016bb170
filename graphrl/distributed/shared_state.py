"""What every task of a cluster shares besides the agent's variables.

Built identically in each task's graph on the shared device (the ps task,
or the Ape-X learner), so the names, and so the resources, are the same:

  done:     bool [], set by the chief when its run ends (solved, out of
            steps, stopped); the other tasks end when they read it. A local
            variable: checkpoints do not hold it, so a resumed run starts
            with done = False
  episodes: a FIFO queue (shared_name 'graphrl_episodes') of the episodes
            that the other tasks finish, (step int64, return float32,
            length int64, env int64, task int64); the chief drains it into
            its records (episodes.csv, TensorBoard, the progress line)
"""

from graphrl.compat import tf

QUEUE_CAPACITY = 100000


class SharedState:
  """The end-of-run flag and the episode queue of a cluster."""

  def __init__(self, device):
    """Builds the ops in the default graph.

    Args:
      device: the shared device, e.g. '/job:ps/task:0'.
    """
    with tf.device(None), tf.device(device), tf.name_scope('cluster'):
      self.done = tf.Variable(False, trainable=False, name='done',
                              collections=[tf.GraphKeys.LOCAL_VARIABLES])
      self.initialize = self.done.initializer
      self._set_done = self.done.assign(True)
      dtypes = [tf.int64, tf.float32, tf.int64, tf.int64, tf.int64]
      queue = tf.FIFOQueue(QUEUE_CAPACITY, dtypes, shapes=[[]] * 5,
                           shared_name='graphrl_episodes',
                           name='episodes')
      self._row = [tf.placeholder(dtype, []) for dtype in dtypes]
      self._enqueue = queue.enqueue(self._row)
      self._size = queue.size()
      self._count = tf.placeholder(tf.int32, [])
      self._dequeue = queue.dequeue_many(self._count)

  def finish(self, sess):
    """Tells every task that the run is over."""
    sess.run(self._set_done)

  def report(self, sess, step, episode_return, length, env, task,
             timeout_ms=0):
    """Queues an episode for the chief's records; with `timeout_ms`, drops
    it if the queue stays full that long (the chief is gone)."""
    try:
      sess.run(self._enqueue, dict(zip(self._row, [
          step, episode_return, length, env, task])),
               options=tf.RunOptions(timeout_in_ms=timeout_ms))
    except tf.errors.DeadlineExceededError:
      pass

  def drain(self, sess):
    """The queued episodes, oldest first: dicts of step, episode_return,
    length, env and task."""
    count = int(sess.run(self._size))
    if not count:
      return []
    columns = sess.run(self._dequeue, {self._count: count})
    return [dict(step=int(step), episode_return=float(ret),
                 length=int(length), env=int(env), task=int(task))
            for step, ret, length, env, task in zip(*columns)]
