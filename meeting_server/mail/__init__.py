"""Invitation mail: composing a message (compose.py) and the sender task that works through the outbox
(sender.py). What goes into the outbox is decided by actions/mail.py."""
