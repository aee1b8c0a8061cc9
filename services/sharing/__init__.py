"""Sharing primitives: what each agency may read, and the cryptography that enforces it.

The information sharing agreement (ISA) decides which data classes a party may read for a
purpose; envelope encryption with a data key per (data subject, data class) makes that
decision enforceable, and destroying a subject's keys erases them everywhere at once.
Blind indexes let the platform link the same person across referrals without holding
their identity in the clear.
"""
