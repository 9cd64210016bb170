"""Hand-set DDPG and TD3 networks for tests with numbers that follow by hand.

For S = U = 1 (bounds [-1, 1]), actor_hidden_sizes=(2,) and
critic_hidden_sizes=(2, 2) with the action joining the critic's second
layer:

  actor  with zero weights:         mu(s) = tanh(b), any s
  critic with fc1 = 0, fc2 rows (h1_0, h1_1, a) = (0 0, 0 0, 1 0), fc2
  biases (1, 0), q weights (slope, 0), q bias c:
                                    Q(s, a) = slope * relu(a + 1) + c
"""

import numpy as np

from graphrl.compat import tf


def scope_variables(scope):
  """The global variables named `scope`/..., e.g. 'ddpg/critic'."""
  return [v for v in tf.global_variables()
          if v.op.name.startswith(scope + '/')]


def set_actor(sess, scope, mu):
  """Zero weights, final bias atanh(mu): mu(s) = mu for every s."""
  for variable in scope_variables(scope):
    value = np.zeros(variable.shape.as_list())
    if variable.op.name == scope + '/action/biases':
      value[:] = np.arctanh(mu)
    variable.load(value, sess)


def set_critic(sess, scope, slope, offset):
  """Q(s, a) = slope * relu(a + 1) + offset, whatever s."""
  values = {'fc1/weights': [[0., 0.]], 'fc1/biases': [0., 0.],
            'fc2/weights': [[0., 0.], [0., 0.], [1., 0.]],
            'fc2/biases': [1., 0.], 'q_value/weights': [[slope], [0.]],
            'q_value/biases': [offset]}
  for variable in scope_variables(scope):
    variable.load(values[variable.op.name[len(scope) + 1:]], sess)


def feed(agent, s, a, r, s2, discount):
  """Feeds one transition; storing it also acts (control dependency)."""
  transition = dict(zip(agent.transition, (s, a, r, s2, discount)))
  transition[agent.observ] = np.array([s], np.float32)
  return transition
