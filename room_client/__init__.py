"""The room client: a separate program for a hall's room PC. It imports only `meeting_server.protocol`."""
