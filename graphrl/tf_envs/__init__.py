"""Environments stepped by graph ops: `TFEnvironment` and its members."""

from graphrl.tf_envs.cartpole import CartPole
from graphrl.tf_envs.pendulum import Pendulum
from graphrl.tf_envs.py_func import PyFuncEnvironment
from graphrl.tf_envs.suite import is_native
from graphrl.tf_envs.suite import load
from graphrl.tf_envs.suite import NATIVE
from graphrl.tf_envs.tf_environment import StepResult
from graphrl.tf_envs.tf_environment import TFEnvironment
