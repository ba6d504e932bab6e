"""`python -m bot <command>`: the command line is bot.cli."""
from bot.cli.main import main

raise SystemExit(main())
