"""The demo company's people: one user per role, teams with their leads, profiles, permissions."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission

from leadflow import roles
from leadflow.models import Profile, Team

DEMO_PASSWORD = "demo12345"
QUALIFICATION_TEAM = "Квалификация"
SALES_TEAM = "Продажи (Москва)"
# Apps whose models the director configures in the admin; managers may look at them.
ADMIN_APPS = ("leadflow", "qualification", "sales", "reports", "django_fsm_log")


@dataclass(frozen=True)
class Person:
    username: str
    role: str  # a leadflow.roles name, or "" for the superuser
    first_name: str
    last_name: str
    team: str = ""  # team name, "" for none
    staff: bool = False


PEOPLE = [
    Person("admin", "", "Администратор", "", staff=True),
    Person("director", roles.DIRECTOR, "Ольга", "Орлова", staff=True),
    Person("qlead", roles.QUALIFICATION_LEAD, "Наталья", "Соколова", QUALIFICATION_TEAM, staff=True),
    Person("qualifier1", roles.QUALIFIER, "Анна", "Кузнецова", QUALIFICATION_TEAM),
    Person("qualifier2", roles.QUALIFIER, "Екатерина", "Морозова", QUALIFICATION_TEAM),
    Person("qualifier3", roles.QUALIFIER, "Дмитрий", "Волков", QUALIFICATION_TEAM),
    Person("qualifier4", roles.QUALIFIER, "Ирина", "Лебедева", QUALIFICATION_TEAM),
    Person("salesmanager", roles.SALES_MANAGER, "Игорь", "Петров", SALES_TEAM, staff=True),
    Person("rep1", roles.SALES_REP, "Алексей", "Смирнов", SALES_TEAM),
    Person("rep2", roles.SALES_REP, "Сергей", "Попов", SALES_TEAM),
    Person("rep3", roles.SALES_REP, "Михаил", "Васильев", SALES_TEAM),
    Person("rep4", roles.SALES_REP, "Андрей", "Новиков", SALES_TEAM),
    Person("rep5", roles.SALES_REP, "Павел", "Фёдоров", SALES_TEAM),
]


@dataclass
class Company:
    qualification_team: Team
    sales_team: Team
    users: dict  # username -> User
    created: set  # usernames created by this run (their password is the demo password)

    def by_role(self, role):
        return [self.users[p.username] for p in PEOPLE if p.role == role]


def ensure_company(*, domain="kuhni-demo.ru") -> Company:
    """Teams, users, groups and profiles; creates what is missing and never resets a password."""
    qualification = Team.objects.get(name=QUALIFICATION_TEAM)
    sales = Team.objects.get(name=SALES_TEAM)
    User = get_user_model()
    teams = {QUALIFICATION_TEAM: qualification, SALES_TEAM: sales}
    users, created = {}, set()
    password_hash = None  # one hash for the one public demo password: PBKDF2 is slow on purpose
    for person in PEOPLE:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = User(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@{domain}",
                is_staff=person.staff,
                is_superuser=not person.role,
            )
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save()
            created.add(person.username)
        if person.role:
            user.groups.add(Group.objects.get(name=person.role))
        Profile.objects.get_or_create(user=user, defaults={"team": teams.get(person.team)})
        users[person.username] = user
    _grant_admin_permissions(users["director"], change=True)
    for username in ("qlead", "salesmanager"):
        _grant_admin_permissions(users[username], change=False)
    _set_team_lead(qualification, users["qlead"], sales_team=sales)
    _set_team_lead(sales, users["salesmanager"])
    return Company(qualification_team=qualification, sales_team=sales, users=users, created=created)


def _grant_admin_permissions(user, *, change):
    """Staff who are not superusers see the admin through model permissions: the director configures,
    the managers look."""
    perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    perms = perms.exclude(codename__startswith="delete_") if change else perms.filter(codename__startswith="view_")
    user.user_permissions.add(*perms)


def _set_team_lead(team, lead, *, sales_team=None):
    changed = []
    if team.lead_id is None:
        team.lead = lead
        changed.append("lead")
    if sales_team is not None and team.sales_team_id is None:
        team.sales_team = sales_team
        changed.append("sales_team")
    if changed:
        team.save(update_fields=changed)


def role_label(person):
    return str(roles.ROLE_LABELS.get(person.role, "superuser"))
