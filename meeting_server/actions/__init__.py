"""The only door to change. REST and socket.io both call `run_action`; each action declares its input schema
and permission beside its code (after OpenSlides), loads state, runs the domain, saves events and
projections in one transaction and publishes only after the commit (after Synapse: save first, then notify).
"""

from .base import REGISTRY, ActionSpec, Services, build_services, run_action

# Importing the modules registers their actions.
from . import answers, attendance, conference, directory, floor, images, mail, meetings, papers, record, signing, votes  # noqa: E402,F401  isort: skip

__all__ = ["REGISTRY", "ActionSpec", "Services", "build_services", "run_action"]
