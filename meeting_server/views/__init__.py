"""The read side: what a given person may read, checked with the same domain rules the actions use, so REST
and socket.io agree. Transports (api/, signalling/) read only through here and never touch storage; each
function holds one database read. One module per area, named as in actions/ and api/."""

from . import directory, meetings, papers

__all__ = ["directory", "meetings", "papers"]
