"""Import the territory file's property companies and their staff: add, update, retire, in its transaction."""

from __future__ import annotations

from sqlalchemy import delete, select

from ..property_tables import PropertyCompany, PropertyStaff
from ..security_log import SecurityKind, record
from ..store.unit_of_work import Unit
from .importing import Report
from .property_file import Company
from .staff_import import one_person


def import_companies(u: Unit, companies: tuple[Company, ...], report: Report) -> None:
    """Bring the companies and their staff in line with the file (a company left out is retired)."""
    existing = {c.code: c for c in u.session.scalars(select(PropertyCompany))}
    for firm in companies:
        row = existing.get(firm.code)
        wanted = {"name": firm.name, "phone": firm.phone, "compounds": list(firm.compounds), "retired": False}
        if row is None:
            row = PropertyCompany(code=firm.code, **wanted)
            u.session.add(row)
            u.session.flush()
            report.lines.append(f"add property company {firm.code} ({firm.name})")
        else:
            changed = [k for k, v in wanted.items() if getattr(row, k) != v]
            for key in changed:
                setattr(row, key, wanted[key])
            if changed:
                report.lines.append(f"update property company {firm.code}: {', '.join(changed)}")
        _staff(u, row, firm, report)
    listed = {f.code for f in companies}
    for code, row in sorted(existing.items()):
        if code not in listed and not row.retired:
            row.retired = True
            gone = u.session.execute(delete(PropertyStaff).where(PropertyStaff.company_id == row.id))
            report.lines.append(
                f"retire property company {code} ({row.name}): its {gone.rowcount} staff no longer get "  # type: ignore[attr-defined]
                "its tickets; those still waiting go to the community when their window ends"
            )


def _staff(u: Unit, row: PropertyCompany, firm: Company, report: Report) -> None:
    have = {
        s.person_id: s
        for s in u.session.scalars(select(PropertyStaff).where(PropertyStaff.company_id == row.id))
    }
    keep: set[int] = set()
    for member in firm.staff:
        person = one_person(u, member.name, member.ids, report)
        if person is None:
            continue
        keep.add(person.id)
        staff = have.get(person.id)
        if staff is None:
            u.session.add(
                PropertyStaff(company_id=row.id, person_id=person.id, name=member.name, phone=member.phone)
            )
            channel, external_id = member.ids[0]
            report.lines.append(
                f"add {member.name} ({channel} {external_id}) to property company {firm.code}"
            )
            record(
                u.session,
                u.now,
                SecurityKind.ROLE_GRANTED,
                person_id=None,
                source="config",
                detail=f"person={person.id} role=property company={firm.code}",
            )
        elif (staff.name, staff.phone) != (member.name, member.phone):
            staff.name, staff.phone = member.name, member.phone
            report.lines.append(f"update {member.name} of property company {firm.code}")
    for person_id, staff in sorted(have.items()):
        if person_id not in keep:
            u.session.delete(staff)
            report.lines.append(f"remove {staff.name} from property company {firm.code}")
            record(
                u.session,
                u.now,
                SecurityKind.ROLE_REVOKED,
                person_id=None,
                source="config",
                detail=f"person={person_id} role=property company={firm.code}",
            )
    u.session.flush()
