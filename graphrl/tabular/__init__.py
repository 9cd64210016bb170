"""Tabular learners as static graphs (lecture seed 000, 2.1-2.3; seed 003).

Value learning, Q-learning and the epsilon-greedy bandit keep their tables in
non-trainable variables; `train_*` run them in a `tf.Session`.

This package exists for the lectures' API alone: the training binaries
(`graphrl.train`, `graphrl.evaluate`, scripts/) do not use it.
"""

from graphrl.tabular.bandit import EpsilonGreedyBandit
from graphrl.tabular.bandit import train_bandit
from graphrl.tabular.q_learning import QLearning
from graphrl.tabular.q_learning import train_q_learning
from graphrl.tabular.value_learning import TabularLearner
from graphrl.tabular.value_learning import train_value_learning
from graphrl.tabular.value_learning import ValueLearning
