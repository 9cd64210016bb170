"""CartPole in graph ops: gymnasium 1.4's `CartPole-v1` for N members.

Each member's state s = (x, x_dot, theta, theta_dot) is a float64 row of the
variable `state` [N, 4], stepped with gymnasium's constants, operation order
and explicit Euler integration (`kinematics_integrator='euler'`, tau = 0.02
s), so trajectories match gymnasium's bit for bit (tested over 30,000
steps; see `_divide`). With the force F = +10 N for action 1 (push right)
and -10 N for action 0, g = 9.8, cart mass 1, pole mass m = 0.1, half the
pole's length l = 0.5 and total mass M = 1.1:

  temp = (F + m l theta_dot^2 sin theta) / M
  theta_acc = (g sin theta - cos theta temp) / (l (4/3 - m cos^2 theta / M))
  x_acc = temp - m l theta_acc cos theta / M
  x' = x + tau x_dot              x_dot' = x_dot + tau x_acc
  theta' = theta + tau theta_dot  theta_dot' = theta_dot + tau theta_acc

A member terminates when |x'| > 2.4 or |theta'| > 12 degrees, and is
truncated when its step count since reset reaches `max_episode_steps` (500
for v1, 200 for v0), even when it terminates at that step, as gymnasium's
`TimeLimit` does. The reward is 1 every step, the terminating one included
(gymnasium's default `sutton_barto_reward=False`; stepping on past the end
without a reset, which gymnasium leaves undefined, still gives 1). A reset
draws s uniformly from [-0.05, 0.05]^4; observations are s in float32.
"""

import math

import numpy as np

from graphrl import random_draws
from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import state_environment

_GRAVITY = 9.8
_MASS_CART = 1.0
_MASS_POLE = 0.1
_TOTAL_MASS = _MASS_POLE + _MASS_CART
_LENGTH = 0.5  # Half the pole's length.
_POLEMASS_LENGTH = _MASS_POLE * _LENGTH
_FORCE_MAG = 10.0
_TAU = 0.02
_THETA_THRESHOLD = 12 * 2 * math.pi / 360
_X_THRESHOLD = 2.4
_RESET_BOUND = 0.05
_FLOAT32_MAX = np.finfo(np.float32).max


class CartPole(state_environment.StateEnvironment):
  """N CartPole-v1 members (v0: `max_episode_steps=200`).

  Actions are int64 [N] in {0, 1} (1 pushes right, else left); observations
  float32 [N, 4]. `state` holds the (x, x_dot, theta, theta_dot) rows; like
  the step counts, it is a local variable, not checkpointed (see
  `StateEnvironment`).
  """

  def __init__(self, batch_size, max_episode_steps=500, name='cart_pole'):
    """Creates the variables.

    Args:
      batch_size: N >= 1, the number of members.
      max_episode_steps: the time limit, an int >= 1, or None for none.
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: for a bad batch_size or max_episode_steps.
    """
    high = np.array([_X_THRESHOLD * 2, _FLOAT32_MAX, _THETA_THRESHOLD * 2,
                     _FLOAT32_MAX], np.float32)
    super().__init__(
        batch_size, 4,
        specs.BoundedArraySpec((4,), np.float32, -high, high,
                               name='observation'),
        specs.BoundedArraySpec((), np.int64, 0, 1, name='action'),
        max_episode_steps, name)

  def _sample_state(self):
    """A float64 [N, 4] draw from U[-0.05, 0.05)^4."""
    return random_draws.uniform([self.batch_size, 4], -_RESET_BOUND,
                             _RESET_BOUND, tf.float64)

  def _observation(self, state):
    """s in float32 [N, 4]."""
    return tf.cast(state, tf.float32)

  def _dynamics(self, state, action):
    """gymnasium's Euler step, reward and termination (module docstring)."""
    x, x_dot, theta, theta_dot = tf.unstack(state, axis=1)
    force = tf.where_v2(tf.equal(tf.cast(action, tf.int64), 1),
                        tf.constant(_FORCE_MAG, tf.float64), -_FORCE_MAG)
    costheta = tf.cos(theta)
    sintheta = tf.sin(theta)
    # The operations of gymnasium's step, in its order.
    temp = _divide(
        force + _multiply(_POLEMASS_LENGTH * tf.square(theta_dot), sintheta),
        _TOTAL_MASS)
    thetaacc = _divide(
        _GRAVITY * sintheta - costheta * temp,
        _LENGTH * (4.0 / 3.0 - _divide(_MASS_POLE * tf.square(costheta),
                                       _TOTAL_MASS)))
    xacc = temp - _divide(_multiply(_POLEMASS_LENGTH * thetaacc, costheta),
                          _TOTAL_MASS)
    x = x + _TAU * x_dot
    x_dot = x_dot + _TAU * xacc
    theta = theta + _TAU * theta_dot
    theta_dot = theta_dot + _TAU * thetaacc
    terminated = tf.logical_or(tf.abs(x) > _X_THRESHOLD,
                               tf.abs(theta) > _THETA_THRESHOLD)
    return (tf.stack([x, x_dot, theta, theta_dot], axis=1),
            tf.ones([self.batch_size], tf.float32), terminated)


# Grappler's optimizations keep the values of float ops but not always their
# rounding: they rewrite x / c for a constant c as x * (1 / c) (1 ulp off in
# a third of the cases for c = 1.1) and (c * x) * y as x * (c * y). Such
# last-bit differences can grow along an episode (an inverted pendulum
# doubles them every ~9 steps), so these two ops are spelled as ops that
# grappler leaves alone.


def _divide(x, y):
  """x / y for float64 x and y != 0, as `divide_no_nan`."""
  return tf.math.divide_no_nan(x, tf.convert_to_tensor(y, tf.float64))


def _multiply(x, y):
  """x * y for finite float64 x, as `multiply_no_nan` (0 for -0)."""
  return tf.math.multiply_no_nan(x, y)
