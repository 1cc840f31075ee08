"""The live channel: socket.io events in, actions called, committed events out."""
