"""What an agent gives the training loops: the contract, written once.

An agent builds its whole graph in its constructor, in the default graph
under its own variable scope; the loops (`graphrl.training`) and the
evaluation tools read only the members below. B is the batch of observations
an op is run on, N = `config.num_envs` the environments a loop steps.

`Agent`, every agent:
  config:          the agent's config dataclass (validated)
  observ:          placeholder [B, *observation_shape]
  explore_action:  [B, *action_shape], exploring; adds B to env_steps
  greedy_action:   [B, *action_shape], the greedy policy's action
  env_steps, train_steps: int64 [] variables, checkpointed, so a resumed
                   run continues its schedules
  train, loss:     the Python loop's train op and its loss [] (float32)
  scalars:         {name: float32 []} logged at train steps
  sync_target:     op run once at the start of a fresh run (target := online)
  policy_variables: the variables greedy acting needs (a policy export)
  train_step():    builds another train op on the same variables, returning
                   a `TrainStep` (the in-graph loop's, a learner thread's)
  acts_with_state: whether greedy acting carries state from step to step
                   (A2C's GRU); then `eval_reset` empties it before a batch
                   of greedy episodes

`OffPolicyAgent` (DQN, DDPG, TD3) adds:
  transition:      placeholders of one transition (s, a, r, s', discount),
                   discount = 0 at a termination, 1 otherwise
  store:           appends `transition` (N = 1; `train` samples after it)
  explore(observ), store_batch(transition [N, ...]): the same ops on other
                   tensors, for the in-graph loop
  explores_with_state: whether exploring keeps state through an episode
                   (DDPG's OU noise); then `episode_start` restarts it after
                   an env reset and `start_episodes(started bool [N])`
                   builds that op for some members

`OnPolicyAgent` (REINFORCE, A2C) adds:
  step_type:       placeholder int32 [B], the step types of `observ`
  transition:      placeholders of the previous batched step: observ
                   [N, ...], action [N], reward [N], discount [N], step
                   type [N]
  store, clear:    appends `transition` completed by observ and step_type;
                   empties the rollout buffer
  episodic:        True: an update needs a finished episode of every member,
                   after which the loop restarts them all (REINFORCE);
                   False: an update every `rollout_length` stores (A2C)
  rollout_length:  slots per environment of the rollout buffer
  act_after_train: (not episodic) [N], the train op, then an action with
                   the new weights
  explore(observ, step_type), value(observ), store_batch(items),
  rollout_full():  the in-graph loop's ops
"""

import collections

# The ops of one train step: the op (gradient step, train-step count, any
# target and priority updates), the loss [] and {name: scalar tensor}.
TrainStep = collections.namedtuple('TrainStep', ['op', 'loss', 'scalars'])


class Agent:
  """The members every loop reads (see the module docstring)."""

  acts_with_state = False

  @property
  def policy_variables(self):
    raise NotImplementedError

  def train_step(self, after=()):
    raise NotImplementedError


class OffPolicyAgent(Agent):
  """The members the off-policy loops read (see the module docstring)."""

  explores_with_state = False

  def explore(self, observ):
    raise NotImplementedError

  def store_batch(self, transition):
    raise NotImplementedError


class OnPolicyAgent(Agent):
  """The members the on-policy loops read (see the module docstring)."""

  episodic = True

  def explore(self, observ, step_type):
    raise NotImplementedError

  def value(self, observ):
    raise NotImplementedError

  def store_batch(self, items):
    raise NotImplementedError

  def rollout_full(self):
    raise NotImplementedError
