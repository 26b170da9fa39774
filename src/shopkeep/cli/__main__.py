"""`python -m shopkeep.cli`: the same as the `shopkeep` command."""

from shopkeep.cli import main

main()
