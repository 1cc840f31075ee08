"""`python -m meeting_server` is the same as `meeting-server`."""

import sys

from .cli import main

sys.exit(main())
