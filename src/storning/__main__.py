"""`python -m storning …` is the same as the `storning` command."""

from storning.cli import main

main()
