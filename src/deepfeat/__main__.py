"""``python -m deepfeat``: the same as the ``deepfeat`` command."""

from .cli import console_main

console_main()
