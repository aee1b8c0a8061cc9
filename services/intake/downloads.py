"""File downloads from the API: CSV with a header no request value can break."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

_PLAIN_FILENAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value that no filename can break (RFC 6266 / RFC 8187).

    Filenames carry request values (an area, a quarter, an id); a quote or a non-ASCII letter
    in one once broke the header (a 500, and a way to inject header text). The plain
    ``filename`` keeps only safe ASCII (anything else becomes ``_``); ``filename*`` carries the
    exact name, percent-encoded UTF-8, for the browsers that read it.
    """
    plain = "".join(c if c in _PLAIN_FILENAME else "_" for c in filename) or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def csv_download(text: str, filename: str) -> Response:
    return Response(
        text, media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": attachment(filename)}
    )


def agency_names(platform) -> dict[str, str]:
    """Agency code → the name the agreements in force give the party (for exports)."""
    found: dict[str, str] = {}
    for agreement in platform.sharing.agreements.get().in_force(platform.today()):
        for party in agreement.parties:
            found.setdefault(party.agency_id, party.name)
    return found
