import sys

from stprompt_core.cli import main

sys.exit(main())
