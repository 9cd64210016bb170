"""Which loop steps which agent, and with which config.

The Python loop of an agent follows from its kind in the agent contract
(`graphrl.agents.agent`): an `OffPolicyAgent` steps one environment in
`off_policy.OffPolicyLoop`, an `OnPolicyAgent` a batch in
`on_policy.OnPolicyLoop`; `graph_loop.GraphLoop` runs every kind in the
graph (`graph_iterations.runs` says for which configs). The loops' configs
follow the same way and share `run.LoopConfig`.
"""

from graphrl.agents import agent as agent_lib
from graphrl.training import off_policy
from graphrl.training import on_policy

_PYTHON_LOOPS = {
    agent_lib.OffPolicyAgent: (off_policy.OffPolicyLoop,
                               off_policy.LoopConfig),
    agent_lib.OnPolicyAgent: (on_policy.OnPolicyLoop, on_policy.LoopConfig),
}


def _kind(agent_class):
  for kind in _PYTHON_LOOPS:
    if issubclass(agent_class, kind):
      return kind
  raise TypeError('%s is neither an OffPolicyAgent nor an OnPolicyAgent'
                  % agent_class.__name__)


def python_loop(agent_class):
  """The Python loop class that steps agents of `agent_class`."""
  return _PYTHON_LOOPS[_kind(agent_class)][0]


def config_class(agent_class):
  """The loop config class (for either loop) of `agent_class`."""
  return _PYTHON_LOOPS[_kind(agent_class)][1]


def batched(agent_class):
  """Whether its Python loop steps a batch of environments (on-policy)."""
  return _kind(agent_class) is agent_lib.OnPolicyAgent
