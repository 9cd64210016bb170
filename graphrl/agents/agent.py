"""What an agent gives the training loops: the contract, written once.

An agent builds its whole graph in its constructor, in the default graph
under its own variable scope; the loops (`graphrl.training`) and the
evaluation tools read only the members below. B is the batch of observations
an op is run on, N = `config.num_envs` the environments a loop steps.
An agent's own docstring says what is particular to it (its exploration,
its network, what its train op does).

`Agent`, every agent:
  config:          the agent's config dataclass (validated)
  observ:          placeholder [B, *observation_shape]
  greedy_action:   [B, *action_shape], the greedy policy's action
  env_steps, train_steps: int64 [] variables, checkpointed, so a resumed
                   run continues its schedules
  loss, scalars:   the loss [] of the Python loop's `train` op and
                   {name: float32 []} logged at train steps
  sync_target:     op run once at the start of a fresh run (target := online)
  policy_variables: the variables greedy acting needs (a policy export)
  train_step():    builds another train op on the same variables and returns
                   its `TrainStep` (the in-graph loop's, a learner thread's)
  acts_with_state: whether greedy acting carries state from step to step
                   (A2C's GRU); then `eval_reset` empties it before a batch
                   of greedy episodes

`OffPolicyAgent` (DQN, DDPG, TD3) adds, for the Python loop (N = 1):
  explore_action:  [B, *action_shape], exploring; adds B to env_steps
  transition:      placeholders of one transition: s [*obs], a [*action],
                   r [], s' [*obs], discount [] (0 at a termination, else 1)
  store:           appends `transition` after acting (None for N > 1)
  train:           a train step on a batch sampled after `store`
and for the in-graph loop (N members):
  explore(observ [N, *obs]) -> actions [N, *action], counting N env steps
  store_batch((s, a, r, s', discount) [N, ...]) -> op
  explores_with_state: whether exploring keeps state through an episode
                   (DDPG's OU noise); then `episode_start` (op) restarts it
                   after an env reset and `start_episodes(started bool [N])`
                   restarts that of some members

`OnPolicyAgent` (REINFORCE, A2C) adds, for the Python loop:
  step_type:       placeholder int32 [B], the step types of `observ`
  explore_action:  [B], sampled; adds to env_steps the members whose step
                   type is not LAST (an auto-reset step is not an env step)
  transition:      placeholders of the previous batched step: observ
                   [N, *obs], action [N], reward [N], discount [N], step
                   type [N]
  store:           appends `transition` completed by observ and step_type
  train:           stores, then a gradient step on the rollout buffer, which
                   it clears
  clear:           empties the rollout buffer (a resumed run restarts its
                   environments)
  episodic:        True: an update needs a finished episode of every member,
                   after which the loop restarts them all (REINFORCE);
                   False: an update every `rollout_length` stores (A2C)
  rollout_length:  slots per environment of the rollout buffer
  act_after_train: (not episodic) actions [N] after `train`, with the new
                   weights, counted as explore_action's
  steps_after_train: None, or int64 [] fetched with `train`: the env steps
                   of every task of a cluster after the update (A3C), which
                   the loop then counts from
and for the in-graph loop (N members, `config.torso` 'mlp'):
  explore(observ [N, *obs], step_type [N]) -> actions [N]
  value(observ [N, *obs]) -> V(s) [N]
  store_batch([s, a, r, discount, step type of s, step type of s', V(s')],
                   each [N, ...]) -> op
  rollout_full() -> bool []: the buffer holds `rollout_length` steps of each
                   member
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

  def train_step(self):
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
  steps_after_train = None

  def explore(self, observ, step_type):
    raise NotImplementedError

  def value(self, observ):
    raise NotImplementedError

  def store_batch(self, items):
    raise NotImplementedError

  def rollout_full(self):
    raise NotImplementedError
