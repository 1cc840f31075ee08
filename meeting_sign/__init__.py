"""meeting-sign: the agent a signer runs on their own PC to sign a record with their own USB token.

The server prepares the document and sends what is to be signed; this agent shows what it is, asks for the PIN,
signs on the token (or with a PKCS#12 file opened for this one signature) and sends the signature back. The
private key never leaves the signer's PC. It imports nothing of the server but ``meeting_server.protocol``.
"""
