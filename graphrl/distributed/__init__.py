"""graphrl's distributed mode on TensorFlow's runtime: a cluster of tasks
(`tf.train.ClusterSpec`), each a process with its own gRPC
`tf.train.Server`, runs A2C as A3C (jobs ps and worker: workers act and
learn on variables held by the ps tasks, worker 0 is the chief) and DQN as
Ape-X (jobs learner and actor: one learner trains, actors feed it), with
`graphrl.distributed.topology` describing the cluster and `graphrl.cluster`
launching one on this machine.
"""
