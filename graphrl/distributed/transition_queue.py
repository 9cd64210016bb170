"""The queue that carries Ape-X's transitions from the actors to the learner.

A `tf.FIFOQueue` of prioritized transitions (s, a, R, s', d, p, i) on the
learner's device, i the index of the actor that sent it, made in every
task's graph with one `shared_name`, so that in a cluster all graphs reach
the one queue of the learner's server. Actors append with `enqueue` (it
waits while the queue is full: the back-pressure that keeps them near the
learner's pace); the learner moves what the queue holds into its
prioritized replay with `drain`, which never waits: into a replay of whole
transitions in arrival order, or into stream i of a frame replay, where
each actor's one-step transitions continue its own chain of frames.
"""

from graphrl import frame_replay
from graphrl.compat import tf

SHARED_NAME = 'graphrl_apex_transitions'


class TransitionQueue:
  """The queue of n-step transitions with their initial priorities."""

  def __init__(self, observation_spec, capacity, device):
    """Makes (or, by its shared name, finds) the queue.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of one observation.
      capacity: the most transitions it holds, an int >= 1.
      device: the learner's device, e.g. '/job:learner/task:0'.
    """
    dtype = tf.as_dtype(observation_spec.dtype)
    shape = list(observation_spec.shape)
    with tf.device(device):
      self._queue = tf.FIFOQueue(
          capacity, [dtype, tf.int64, tf.float32, dtype, tf.float32,
                     tf.float32, tf.int64],
          shapes=[shape, [], [], shape, [], [], []], shared_name=SHARED_NAME,
          name='apex_transitions')

  def size(self):
    """The transitions it holds, int32 []."""
    return self._queue.size()

  def enqueue(self, transition, priorities, actor):
    """The op appending K transitions at once (waiting while full).

    Args:
      transition: (s [K, *obs], a int64 [K], R [K], s' [K, *obs], d [K]).
      priorities: float32 [K], their initial priorities.
      actor: the int index of the actor sending them.
    """
    actors = tf.fill(tf.shape(priorities), tf.constant(actor, tf.int64))
    return self._queue.enqueue_many(list(transition) + [priorities, actors])

  def drain(self, buffer, env_steps):
    """The op moving every queued transition into `buffer`.

    Appends the K = size() transitions the queue holds when it runs (K = 0
    appends none and does not wait), each with its priority, and adds K to
    `env_steps`: the learner counts the env steps of all actors by the
    transitions it receives, one per actor step.

    Args:
      buffer: a `replay.PrioritizedReplayBuffer` of (s, a, R, s', d) with
        one stream, or a `PrioritizedFrameReplayBuffer` with one stream per
        actor.
      env_steps: the int64 [] counter to add K to.

    Returns:
      int64 []: env_steps after the addition.
    """
    count = self._queue.size()
    items = self._queue.dequeue_many(count)
    appended = _append_each(buffer, items[:5], items[5], items[6], count)
    with tf.control_dependencies([appended]):
      return env_steps.assign_add(tf.cast(count, tf.int64))


def _append_each(buffer, transitions, priorities, actors, count):
  """Appends rows 0..count-1 of transitions [K, ...] with their priorities
  [K] to `buffer` in order, one row at a time (to stream actors[row] of a
  frame replay); returns the final row count."""

  def body(row):
    if isinstance(buffer, frame_replay.FrameReplayBuffer):
      appended = buffer.append_batch(
          [tensor[row][None] for tensor in transitions],
          streams=actors[row][None], priorities=priorities[row][None])
    else:
      appended = buffer.append(priorities[row],
                               [tensor[row] for tensor in transitions])
    with tf.control_dependencies([appended]):
      return row + 1

  return tf.while_loop(lambda row: row < count, body, [tf.constant(0)],
                       parallel_iterations=1, back_prop=False)
