"""Pendulum in graph ops: gymnasium 1.4's `Pendulum-v1` for N members.

Each member's state (theta, theta_dot) is a float64 row of the variable
`state` [N, 2], stepped with gymnasium's constants (g = 10, m = 1, l = 1,
dt = 0.05, max speed 8, max torque 2) and operation order, so trajectories
match gymnasium's bit for bit (tested over 20,000 steps). The torque u is
clipped to [-2, 2] and, like gymnasium's float32 action, its terms are
float32:

  reward = -(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2)
  theta_dot' = clip(theta_dot + (3 g / (2 l) sin theta + 3 / (m l^2) u) dt,
                    -8, 8)
  theta' = theta + theta_dot' dt

with angle_normalize(a) = ((a + pi) mod 2 pi) - pi and the reward computed
from the state before the step. Observations are float32 (cos theta,
sin theta, theta_dot). A member never terminates and is truncated when its
step count since reset reaches `max_episode_steps` (200), as by gymnasium's
`TimeLimit`. A reset draws theta from U[-pi, pi) and theta_dot from U[-1, 1).
"""

import numpy as np

from graphrl import random_draws
from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import state_environment

_MAX_SPEED = 8
_MAX_TORQUE = 2.0
_DT = 0.05
_G = 10.0
_M = 1.0
_L = 1.0
_RESET_HIGH = (np.pi, 1.0)


class Pendulum(state_environment.StateEnvironment):
  """N Pendulum-v1 members.

  Actions are float32 [N, 1] torques; observations float32 [N, 3]. `state`
  holds the (theta, theta_dot) rows; like the step counts, it is a local
  variable, not checkpointed (see `StateEnvironment`).
  """

  def __init__(self, batch_size, max_episode_steps=200, name='pendulum'):
    """Creates the variables.

    Args:
      batch_size: N >= 1, the number of members.
      max_episode_steps: the time limit, an int >= 1, or None for none.
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: for a bad batch_size or max_episode_steps.
    """
    high = np.array([1.0, 1.0, _MAX_SPEED], np.float32)
    super().__init__(
        batch_size, 2,
        specs.BoundedArraySpec((3,), np.float32, -high, high,
                               name='observation'),
        specs.BoundedArraySpec((1,), np.float32, -_MAX_TORQUE, _MAX_TORQUE,
                               name='action'),
        max_episode_steps, name)

  def _sample_state(self):
    """A float64 [N, 2] draw of theta ~ U[-pi, pi), theta_dot ~ U[-1, 1)."""
    high = tf.constant(_RESET_HIGH, tf.float64)
    return random_draws.uniform([self.batch_size, 2], -high, high, tf.float64)

  def _observation(self, state):
    """float32 [N, 3] observations (cos theta, sin theta, theta_dot)."""
    th, thdot = tf.unstack(state, axis=1)
    return tf.cast(tf.stack([tf.cos(th), tf.sin(th), thdot], axis=1),
                   tf.float32)

  def _dynamics(self, state, action):
    """gymnasium's step of the torques `action`; never terminates."""
    th, thdot = tf.unstack(state, axis=1)
    u = tf.clip_by_value(tf.cast(action[:, 0], tf.float32), -_MAX_TORQUE,
                         _MAX_TORQUE)
    # As gymnasium computes with a float32 u: its terms are float32.
    u_cost = tf.cast(0.001 * tf.square(u), tf.float64)
    u_acc = tf.cast(3.0 / (_M * _L**2) * u, tf.float64)
    costs = tf.square(_angle_normalize(th)) + 0.1 * tf.square(thdot) + u_cost
    newthdot = thdot + (3 * _G / (2 * _L) * tf.sin(th) + u_acc) * _DT
    newthdot = tf.clip_by_value(newthdot, -_MAX_SPEED, _MAX_SPEED)
    newth = th + newthdot * _DT
    return (tf.stack([newth, newthdot], axis=1), tf.cast(-costs, tf.float32),
            tf.zeros([self.batch_size], tf.bool))


def _angle_normalize(x):
  """((x + pi) mod 2 pi) - pi, in [-pi, pi), with numpy's floor modulo."""
  return tf.math.floormod(x + np.pi, 2 * np.pi) - np.pi

