"""Installs graphrl with the exact dependency set it is tested against."""

import setuptools

setuptools.setup(
    name='graphrl',
    version='0.1.0',
    description='Deep reinforcement learning as TensorFlow 1 static graphs.',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=setuptools.find_packages(include=['graphrl', 'graphrl.*']),
    python_requires='>=3.10',
    install_requires=[
        'tensorflow==2.21.0',
        'tensorboard==2.21.0',
        'tf-slim==1.1.0',
        'absl-py==2.5.1',
        'numpy==2.4.6',
        'gymnasium[classic-control,box2d]==1.4.0',
        'ale-py==0.12.1',
        'opencv-python-headless==5.0.0.93',
        'matplotlib==3.11.2',
        'imageio==2.38.1',
    ],
    extras_require={'test': ['pytest==9.2.0', 'pytest-xdist==3.8.0']},
    entry_points={'console_scripts': [
        'graphrl-train=graphrl.train:run',
        'graphrl-eval=graphrl.evaluate:run',
        'graphrl-cluster=graphrl.cluster:run',
    ]},
)
