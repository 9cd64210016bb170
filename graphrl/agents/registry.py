"""The agents the binaries know: name -> config class, agent class.

`graphrl.train` builds one flag per hyperparameter of these configs (and
picks the loops by the agent's kind, `graphrl.training.loops`);
`graphrl.evaluate` rebuilds an agent from the config stored with its run.
"""

import collections
import dataclasses

from graphrl.agents import a2c
from graphrl.agents import ddpg
from graphrl.agents import dqn
from graphrl.agents import reinforce

AgentSpec = collections.namedtuple('AgentSpec', ['config', 'agent'])

AGENTS = {
    'dqn': AgentSpec(dqn.DQNConfig, dqn.DQNAgent),
    'ddpg': AgentSpec(ddpg.DDPGConfig, ddpg.DDPGAgent),
    'td3': AgentSpec(ddpg.TD3Config, ddpg.DDPGAgent),
    'reinforce': AgentSpec(reinforce.ReinforceConfig, reinforce.ReinforceAgent),
    'a2c': AgentSpec(a2c.A2CConfig, a2c.A2CAgent),
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
