"""The agents the binaries know: name -> config class, agent class, loop.

`graphrl.train` builds one flag per hyperparameter of these configs and
`graphrl.evaluate` rebuilds an agent from the config stored with its run.
"""

import collections
import dataclasses

from graphrl.agents import a2c
from graphrl.agents import ddpg
from graphrl.agents import dqn
from graphrl.agents import reinforce
from graphrl.training import graph_loop
from graphrl.training import off_policy
from graphrl.training import on_policy

# loop: the Python loop's class; graph_loop: the in-graph loop's, or None.
AgentSpec = collections.namedtuple(
    'AgentSpec',
    ['config', 'agent', 'loop', 'loop_config', 'batched', 'graph_loop'])

AGENTS = {
    'dqn': AgentSpec(dqn.DQNConfig, dqn.DQNAgent, off_policy.OffPolicyLoop,
                     off_policy.LoopConfig, batched=False,
                     graph_loop=graph_loop.GraphLoop),
    'ddpg': AgentSpec(ddpg.DDPGConfig, ddpg.DDPGAgent, off_policy.OffPolicyLoop,
                      off_policy.LoopConfig, batched=False,
                      graph_loop=graph_loop.GraphLoop),
    'td3': AgentSpec(ddpg.TD3Config, ddpg.DDPGAgent, off_policy.OffPolicyLoop,
                     off_policy.LoopConfig, batched=False,
                     graph_loop=graph_loop.GraphLoop),
    'reinforce': AgentSpec(reinforce.ReinforceConfig, reinforce.ReinforceAgent,
                           on_policy.OnPolicyLoop, on_policy.LoopConfig,
                           batched=True, graph_loop=graph_loop.GraphLoop),
    'a2c': AgentSpec(a2c.A2CConfig, a2c.A2CAgent, on_policy.OnPolicyLoop,
                     on_policy.LoopConfig, batched=True,
                     graph_loop=graph_loop.GraphLoop),
}

# Config fields the binaries derive instead of taking them as flags:
# DQN's beta annealing horizon is --num_steps, REINFORCE's episode slots the
# environment's time limit.
DERIVED_FIELDS = ('total_steps', 'max_episode_steps')


def config_to_json(config):
  """A JSON-able dict of a config dataclass (tuples become lists)."""
  return {field.name: (list(value) if isinstance(value, tuple) else value)
          for field in dataclasses.fields(config)
          for value in [getattr(config, field.name)]}


def config_from_json(agent, values):
  """The config of `agent` from `config_to_json`'s dict."""
  config_class = AGENTS[agent].config
  defaults = config_class()
  return config_class(**{
      name: (tuple(value) if isinstance(getattr(defaults, name), tuple)
             else value) for name, value in values.items()})
