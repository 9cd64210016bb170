"""An in-process Ape-X cluster for tests: gRPC servers on free local ports.

One process holds the learner's and the actors' `tf.train.Server`s, so the
tests see between-graph replication as separate tasks would: variables and
the transition queue found by name on the learner's device. TF1 servers
cannot be stopped; each test starts its own, with fresh state.
"""

from graphrl import cluster as graphrl_cluster
from graphrl.compat import session_config
from graphrl.compat import tf

LEARNER = '/job:learner/task:0'


def actor_device(index):
  return '/job:actor/task:%d' % index


def start_cluster(num_actors=1):
  """Starts the learner's server and `num_actors` actors' servers.

  Returns:
    (learner server, [actor servers]).
  """
  addresses = ['127.0.0.1:%d' % port
               for port in graphrl_cluster.free_ports(num_actors + 1)]
  cluster = tf.train.ClusterSpec({'learner': addresses[:1],
                                  'actor': addresses[1:]})
  start = lambda job, task: tf.train.Server(cluster, job, task,
                                            config=session_config())
  return start('learner', 0), [start('actor', i) for i in range(num_actors)]


def session(server, graph):
  """A single-threaded session of `graph` on `server`'s master."""
  return tf.Session(server.target, graph=graph, config=session_config())
