"""Typed errors: one class per lmctl.proto ErrorCode, each carrying the Response's facts."""


class LmctlError(Exception):
    """A refusal from lmctld: status (-errno), message, code (ErrorCode) and detail
    (ErrorDetail: container, resource, asked, bound, bounded_by) when it has facts."""

    code = 12  # INTERNAL

    def __init__(self, status, message, detail=None, code=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        if code is not None:
            self.code = code

    def __str__(self):
        return self.message


class NotFound(LmctlError):
    code = 1


class AlreadyExists(LmctlError):
    code = 2


class InvalidArgument(LmctlError):
    code = 3


class ExceedsParent(LmctlError):
    code = 4


class ReservationOvercommit(LmctlError):
    code = 5


class BelowUsage(LmctlError):
    code = 6


class ControllerUnavailable(LmctlError):
    code = 7


class PermissionDenied(LmctlError):
    code = 8


class Busy(LmctlError):
    code = 9


class ResourceExhausted(LmctlError):
    code = 10


class Unavailable(LmctlError):
    code = 11


class Internal(LmctlError):
    code = 12


_BY_CODE = {c.code: c for c in (NotFound, AlreadyExists, InvalidArgument, ExceedsParent,
                                ReservationOvercommit, BelowUsage, ControllerUnavailable,
                                PermissionDenied, Busy, ResourceExhausted, Unavailable,
                                Internal)}


def from_response(resp):
    """The error a failed Response stands for."""
    cls = _BY_CODE.get(resp.code, LmctlError)
    detail = resp.detail if resp.HasField("detail") else None
    return cls(resp.status, resp.error or "error %d" % resp.status, detail, resp.code)
