"""Environments in the TF-Agents style: specs, time steps, gymnasium, batches.

`from graphrl.envs import gym_suite as suite_gym` runs the lecture's
`suite_gym.load("CartPole-V1")`; everything here is numpy, no TensorFlow.
`load` gives raw games; `load_atari` adds the DQN preprocessing (`atari`).
Importing this package registers `MaskedCartPole-v1` (`masked`).
"""

from graphrl.envs.atari import load_atari
from graphrl.envs.atari import pop_game_scores
from graphrl.envs.batched import BatchedPyEnvironment
from graphrl.envs.gym_suite import GymWrapper
from graphrl.envs.gym_suite import is_atari
from graphrl.envs.gym_suite import load
from graphrl.envs.gym_suite import resolve_id
from graphrl.envs.gym_suite import time_limit
from graphrl.envs.gym_suite import UnknownEnvironmentError
from graphrl.envs.loading import make
from graphrl.envs.masked import MaskObservation
from graphrl.envs.parallel import EnvironmentWorkerError
from graphrl.envs.parallel import ParallelPyEnvironment
from graphrl.envs.py_environment import PyEnvironment
from graphrl.envs.py_environment import StateNotSavableError
from graphrl.envs.specs import ArraySpec
from graphrl.envs.specs import BoundedArraySpec
from graphrl.envs.specs import from_gym_space
from graphrl.envs.time_step import StepType
from graphrl.envs.time_step import TimeStep
from graphrl.envs.time_step import Trajectory
