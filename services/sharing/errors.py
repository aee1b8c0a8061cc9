"""Errors raised by the sharing primitives.

They share one base class so an adapter can turn any of them into a clear refusal, and
the decryption failures share another so a consumer can dead-letter an event on either.
"""


class SharingError(Exception):
    """Base class for every error raised by services.sharing."""


class AgreementError(SharingError, ValueError):
    """An information sharing agreement is invalid; names the file and line to fix."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {reason}")


class KeyFileError(SharingError):
    """A local key file is missing, malformed or readable by other users."""


class KekError(SharingError):
    """A data key could not be wrapped or unwrapped by the key-encryption-key provider."""


class SubjectErasedError(SharingError):
    """The data subject was erased: no key will ever be created for them again."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"subject {subject_id!r} was erased; nothing new may be encrypted")


class SubjectAlreadyErased(SharingError):
    """An erasure was asked for a subject already erased: the first erasure stands."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"subject {subject_id!r} was already erased")


class UnknownKey(SharingError, LookupError):
    """No data key ever existed for this (subject, data class)."""

    def __init__(self, subject_id: str, data_class: str) -> None:
        self.subject_id = subject_id
        self.data_class = data_class
        super().__init__(f"no data key for subject {subject_id!r} and class {data_class!r}")


class TamperedCiphertext(SharingError):
    """A token failed authentication or is malformed; the event must not be trusted."""


class SensitiveSchemaError(SharingError, ValueError):
    """An Avro schema's sensitive-field annotations are inconsistent."""
