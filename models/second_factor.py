"""The optional second factor of staff sign-in: TOTP codes (pyotp), each accepted once."""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from .tables import SecondFactor

ISSUER = "Jiesu"


def of(session: Session, person_id: int) -> SecondFactor | None:
    """The person's confirmed second factor, if any."""
    row = session.get(SecondFactor, person_id)
    return row if row is not None and row.confirmed_at is not None else None


def start(session: Session, person_id: int, now: datetime) -> SecondFactor:
    """A new unconfirmed secret for the person (replacing an unconfirmed one)."""
    row = session.get(SecondFactor, person_id)
    if row is None:
        row = SecondFactor(person_id=person_id, secret=pyotp.random_base32(), created_at=now)
        session.add(row)
    elif row.confirmed_at is None:
        row.secret, row.created_at = pyotp.random_base32(), now
    session.flush()
    return row


def uri(row: SecondFactor, account: str) -> str:
    """The otpauth:// address an authenticator app reads (as a QR code or typed)."""
    return pyotp.TOTP(row.secret).provisioning_uri(name=account, issuer_name=ISSUER)


def check(row: SecondFactor, code: str, now: datetime) -> bool:
    """Accept a 6-digit code of this or the neighbouring 30 s step, never the same step twice."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(row.secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if row.last_step is not None and candidate <= row.last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            row.last_step = candidate
            return True
    return False


def confirm(row: SecondFactor, code: str, now: datetime) -> bool:
    """Switch the factor on with a first good code."""
    if not check(row, code, now):
        return False
    row.confirmed_at = now
    return True
