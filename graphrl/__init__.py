"""graphrl: deep reinforcement learning as TensorFlow 1 static graphs."""

__version__ = '0.1.0'
