import sys

from fpengine.cli import main

sys.exit(main())
