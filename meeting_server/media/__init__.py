"""Media: the SFU forwarding path (encoded frames, published streams, receive slots) and recording."""
