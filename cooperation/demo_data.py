"""The demo data that ``manage.py seed_demo`` loads.

Plain data, no database access: the command looks each record up by its natural key
(nation ISO alpha-2 code, focus-area slug, initiative/meeting/recommendation title,
username) and creates only what is missing.

The threat picture, initiatives and focus areas follow the public report of the meeting
of United States and South American defence leaders hosted by U.S. Southern Command.
People, e-mail addresses and phone numbers are fictional.

Dates are relative to the day the command runs: day offsets for initiatives and
recommendations, small functions of "today" for meetings.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import (
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Nation,
    Participation,
    Recommendation,
    SituationAssessment,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published on purpose: demo accounts

# ----------------------------------------------------------------------- date rules

DateRule = Callable[[datetime.date], datetime.date]
TUESDAY = 1


def _on_or_after(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def weeks_ago_on_tuesday(weeks: int) -> DateRule:
    """The Tuesday of the week ``weeks`` weeks before today (always in the past)."""

    def rule(today: datetime.date) -> datetime.date:
        day = today - datetime.timedelta(weeks=weeks)
        return day - datetime.timedelta(days=(day.weekday() - TUESDAY) % 7)

    return rule


def days_ahead_on_tuesday(days: int) -> DateRule:
    """The first Tuesday at least ``days`` days after today."""

    def rule(today: datetime.date) -> datetime.date:
        return _on_or_after(today + datetime.timedelta(days=days), TUESDAY)

    return rule


def quarters_ahead_second_tuesday(quarters: int) -> DateRule:
    """The second Tuesday of the calendar quarter ``quarters`` after this one."""

    def rule(today: datetime.date) -> datetime.date:
        index = (today.month - 1) // 3 + quarters
        first = datetime.date(today.year + index // 4, (index % 4) * 3 + 1, 1)
        return _on_or_after(first, TUESDAY) + datetime.timedelta(weeks=1)

    return rule


# ------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class NationSpec:
    name: str
    iso_alpha2: str
    iso_alpha3: str
    region: str
    time_zone: str
    official_languages: str
    liaison_name: str
    liaison_email: str
    liaison_phone: str


@dataclass(frozen=True)
class FocusAreaSpec:
    slug: str
    name: str
    description: str
    # The name and description in the portal's other languages.
    name_es: str = ""
    description_es: str = ""
    name_pt_br: str = ""
    description_pt_br: str = ""


@dataclass(frozen=True)
class AccountSpec:
    username: str
    role: str | Promise
    first_name: str
    last_name: str
    email: str
    nation: str | None = None
    time_zone: str = "UTC"
    language: str = "en"
    is_staff: bool = False
    is_superuser: bool = False
    # The roles (groups, see cooperation.roles) the account is given.
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParticipationSpec:
    nation: str
    role: str
    contribution: str = ""


@dataclass(frozen=True)
class InitiativeSpec:
    title: str
    kind: str
    summary: str
    objectives: str
    focus_areas: tuple[str, ...]
    participations: tuple[ParticipationSpec, ...]
    status: str
    owner: str
    planned_start: int | None = None  # days from today
    planned_end: int | None = None
    actual_start: int | None = None
    actual_end: int | None = None
    released_to_all: bool = True
    released_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgendaItemSpec:
    title: str
    duration_minutes: int = 30
    presenter: str | None = None
    notes: str = ""
    # The outcome recorded in the minutes of a held meeting.
    decision: str = ""
    discussion: str = ""
    follow_up: str = ""


@dataclass(frozen=True)
class AssessmentSpec:
    nation: str
    focus_area: str
    primary_concern: str
    trend: str
    threat_level: int
    summary: str
    is_primary: bool = True
    production_trend: str = ""
    trafficking_trend: str = ""
    consumption_trend: str = ""
    emerging_shift: str = ""
    key_drivers: str = ""
    sources: str = ""
    confidence: str = ""
    language: str = "en"  # the language its text is written in


@dataclass(frozen=True)
class EvaluationSpec:
    initiative: str
    rating: str
    findings: str


@dataclass(frozen=True)
class MeetingSpec:
    title: str
    on: DateRule
    start: datetime.time
    duration: datetime.timedelta
    time_zone: str
    location: str
    status: str
    chair: str
    nations: tuple[str, ...]
    attendees: tuple[str, ...] = ()
    # Of a held meeting: (attendee, present/absent/represented, represented by).
    attendance: tuple[tuple[str, str, str], ...] = ()
    online_url: str = ""
    minutes: str = ""
    briefing_summary: str = ""
    released_to_all: bool = True
    released_to: tuple[str, ...] = ()
    agenda: tuple[AgendaItemSpec, ...] = ()
    assessments: tuple[AssessmentSpec, ...] = ()
    evaluations: tuple[EvaluationSpec, ...] = ()


@dataclass(frozen=True)
class StepSpec:
    """One move on a recommendation's timeline."""

    to_status: str
    author: str
    note: str
    progress: int | None = None


@dataclass(frozen=True)
class RecommendationSpec:
    title: str
    description: str
    focus_area: str
    owner: str
    author: str
    priority: int
    due_date: int | None  # days from today; negative is in the past
    nations: tuple[str, ...]
    source_meeting: str | None = None
    source_note: str = ""
    initiative: str | None = None
    released_to_all: bool = True
    released_to: tuple[str, ...] = ()
    note: str = ""
    steps: tuple[StepSpec, ...] = ()


# ----------------------------------------------------------------------- nations

SOUTH_AMERICA = Nation.Region.SOUTH_AMERICA
NORTH_AMERICA = Nation.Region.NORTH_AMERICA

NATIONS = (
    NationSpec(
        "Argentina", "AR", "ARG", SOUTH_AMERICA, "America/Argentina/Buenos_Aires",
        "es", "Lucía Fernández", "liaison.ar@example.org", "+54 11 5555 0101",
    ),
    NationSpec(
        "Bolivia", "BO", "BOL", SOUTH_AMERICA, "America/La_Paz",
        "es, qu, ay", "Mateo Quispe", "liaison.bo@example.org", "+591 2 555 0102",
    ),
    NationSpec(
        "Brazil", "BR", "BRA", SOUTH_AMERICA, "America/Sao_Paulo",
        "pt", "Rafael Oliveira", "liaison.br@example.org", "+55 61 5555 0103",
    ),
    NationSpec(
        "Chile", "CL", "CHL", SOUTH_AMERICA, "America/Santiago",
        "es", "Ignacio Soto", "liaison.cl@example.org", "+56 2 5555 0104",
    ),
    NationSpec(
        "Colombia", "CO", "COL", SOUTH_AMERICA, "America/Bogota",
        "es", "Camila Restrepo", "liaison.co@example.org", "+57 601 555 0105",
    ),
    NationSpec(
        "Ecuador", "EC", "ECU", SOUTH_AMERICA, "America/Guayaquil",
        "es", "Andrés Villacís", "liaison.ec@example.org", "+593 2 555 0106",
    ),
    NationSpec(
        "Guyana", "GY", "GUY", SOUTH_AMERICA, "America/Guyana",
        "en", "Devon Persaud", "liaison.gy@example.org", "+592 555 0107",
    ),
    NationSpec(
        "Mexico", "MX", "MEX", NORTH_AMERICA, "America/Mexico_City",
        "es", "Mariana Gutiérrez", "liaison.mx@example.org", "+52 55 5555 0108",
    ),
    NationSpec(
        "Paraguay", "PY", "PRY", SOUTH_AMERICA, "America/Asuncion",
        "es, gn", "Sofía Benítez", "liaison.py@example.org", "+595 21 555 0109",
    ),
    NationSpec(
        "Peru", "PE", "PER", SOUTH_AMERICA, "America/Lima",
        "es, qu, ay", "Diego Huamán", "liaison.pe@example.org", "+51 1 555 0110",
    ),
    NationSpec(
        "Suriname", "SR", "SUR", SOUTH_AMERICA, "America/Paramaribo",
        "nl", "Ricardo Pinas", "liaison.sr@example.org", "+597 555 0111",
    ),
    NationSpec(
        "United States", "US", "USA", NORTH_AMERICA, "America/New_York",
        "en", "Dana Whitfield", "liaison.us@example.org", "+1 305 555 0112",
    ),
    NationSpec(
        "Uruguay", "UY", "URY", SOUTH_AMERICA, "America/Montevideo",
        "es", "Valentina Rodríguez", "liaison.uy@example.org", "+598 2 555 0113",
    ),
    NationSpec(
        "Venezuela", "VE", "VEN", SOUTH_AMERICA, "America/Caracas",
        "es", "Gabriel Mendoza", "liaison.ve@example.org", "+58 212 555 0114",
    ),
)  # fmt: skip

# ------------------------------------------------------------------- focus areas

FOCUS_AREAS = (
    FocusAreaSpec(
        "intelligence-sharing",
        "Intelligence sharing",
        "Enhance responsiveness to threats.",
        "Intercambio de inteligencia",
        "Mejorar la capacidad de respuesta ante las amenazas.",
        "Compartilhamento de inteligência",
        "Aprimorar a capacidade de resposta às ameaças.",
    ),
    FocusAreaSpec(
        "joint-exercises",
        "Joint exercises",
        "Improve coordination among nations.",
        "Ejercicios conjuntos",
        "Mejorar la coordinación entre las naciones.",
        "Exercícios conjuntos",
        "Melhorar a coordenação entre as nações.",
    ),
    FocusAreaSpec(
        "cyber-defense",
        "Cyber defense",
        "Fortify digital infrastructure.",
        "Ciberdefensa",
        "Fortalecer la infraestructura digital.",
        "Defesa cibernética",
        "Fortalecer a infraestrutura digital.",
    ),
    FocusAreaSpec(
        "community-engagement",
        "Community engagement",
        "Build public trust and support.",
        "Participación comunitaria",
        "Generar confianza y apoyo de la población.",
        "Engajamento comunitário",
        "Construir a confiança e o apoio da população.",
    ),
    FocusAreaSpec(
        "counter-narcotics",
        "Counter-narcotics",
        "Coordinated operations to combat drug trafficking organisations "
        "disrupting regional stability.",
        "Lucha contra el narcotráfico",
        "Operaciones coordinadas contra las organizaciones de narcotráfico que "
        "alteran la estabilidad regional.",
        "Combate ao narcotráfico",
        "Operações coordenadas contra as organizações de narcotráfico que "
        "comprometem a estabilidade regional.",
    ),
    FocusAreaSpec(
        "disaster-response",
        "Disaster response",
        "Response strategies for natural disasters that can threaten national "
        "security.",
        "Respuesta ante desastres",
        "Estrategias de respuesta ante desastres naturales que pueden amenazar "
        "la seguridad nacional.",
        "Resposta a desastres",
        "Estratégias de resposta a desastres naturais que podem ameaçar a "
        "segurança nacional.",
    ),
    FocusAreaSpec(
        "defense-procurement",
        "Defense procurement",
        "Reduced costs and enhanced regional capabilities.",
        "Adquisiciones de defensa",
        "Menores costos y mayores capacidades regionales.",
        "Aquisições de defesa",
        "Custos menores e capacidades regionais ampliadas.",
    ),
    FocusAreaSpec(
        "research-and-development",
        "Research and development",
        "Innovation in defense technologies tailored to regional needs.",
        "Investigación y desarrollo",
        "Innovación en tecnologías de defensa adaptadas a las necesidades regionales.",
        "Pesquisa e desenvolvimento",
        "Inovação em tecnologias de defesa adaptadas às necessidades regionais.",
    ),
    FocusAreaSpec(
        "humanitarian-assistance",
        "Humanitarian assistance",
        "Strengthening unity and cooperation during crises.",
        "Asistencia humanitaria",
        "Fortalecer la unidad y la cooperación durante las crisis.",
        "Assistência humanitária",
        "Fortalecer a união e a cooperação durante as crises.",
    ),
    FocusAreaSpec(
        "technology-transfer",
        "Technology transfer",
        "Access to advanced military technologies to uplift regional defense "
        "capabilities.",
        "Transferencia de tecnología",
        "Acceso a tecnologías militares avanzadas para elevar las capacidades "
        "de defensa regionales.",
        "Transferência de tecnologia",
        "Acesso a tecnologias militares avançadas para elevar as capacidades de"
        " defesa regionais.",
    ),
    FocusAreaSpec(
        "organised-crime",
        "Organised crime",
        "Transnational criminal organisations: their networks, finances and "
        "violence across borders.",
        "Crimen organizado",
        "Organizaciones criminales transnacionales: sus redes, sus finanzas y "
        "su violencia a través de las fronteras.",
        "Crime organizado",
        "Organizações criminosas transnacionais: suas redes, suas finanças e "
        "sua violência através das fronteiras.",
    ),
)

# ---------------------------------------------------------------------- accounts

ADMIN = "admin"
COORDINATOR = "coordinator"
COLOMBIA = "colombia"
BRAZIL = "brazil"

ACCOUNTS = (
    AccountSpec(
        username=ADMIN,
        role=_("Administrator (superuser)"),
        first_name="Alex",
        last_name="Morgan",
        email="admin@example.org",
        is_staff=True,
        is_superuser=True,
        roles=(roles.ADMINISTRATOR,),
    ),
    AccountSpec(
        username=COORDINATOR,
        role=_("United States coordinator: edits, schedules, sees all records"),
        first_name="Dana",
        last_name="Whitfield",
        email="dana.whitfield@example.org",
        nation="US",
        time_zone="America/New_York",
        language="en",
        is_staff=True,
        roles=(roles.COORDINATOR,),
    ),
    AccountSpec(
        username=COLOMBIA,
        role=_("Colombian liaison: edits records released to Colombia or to all"),
        first_name="Camila",
        last_name="Restrepo",
        email="camila.restrepo@example.org",
        nation="CO",
        time_zone="America/Bogota",
        language="es",
        roles=(roles.EDITOR,),
    ),
    AccountSpec(
        username=BRAZIL,
        role=_("Brazilian liaison: reads records released to Brazil or to all"),
        first_name="Rafael",
        last_name="Oliveira",
        email="rafael.oliveira@example.org",
        nation="BR",
        time_zone="America/Sao_Paulo",
        language="pt-br",
        roles=(roles.VIEWER,),
    ),
)

# ------------------------------------------------------------------- initiatives

# Every South American nation but Venezuela, which takes part in no initiative.
SOUTH_AMERICAN_PARTNERS = (
    "AR",
    "BO",
    "BR",
    "CL",
    "CO",
    "EC",
    "GY",
    "PY",
    "PE",
    "SR",
    "UY",
)

LEAD = Participation.Role.LEAD
PARTNER = Participation.Role.PARTNER
OBSERVER = Participation.Role.OBSERVER
FUNDER = Participation.Role.FUNDER
Kind = Initiative.Kind
Status = Initiative.Status

JOINT_TRAINING = "Southern Partners joint training exercise programme"
CYBER_FRAMEWORK = "Regional cybersecurity collaboration framework"
CN_TASK_FORCE = "Counter-narcotics joint task force"
DISASTER_PROTOCOLS = "Regional disaster-response protocols"
INTEL_PLATFORM = "Secure intelligence-sharing platform"
TECH_TRANSFER = "Defense technology-transfer agreement"
SECURITY_SUMMIT = "Regional security summit"
IT_UPGRADE = "IT upgrades for real-time intelligence dissemination"
CN_TRAINING = "Counter-narcotics training programme"

INITIATIVES = (
    InitiativeSpec(
        title=JOINT_TRAINING,
        kind=Kind.JOINT_TRAINING_EXERCISE,
        summary=(
            "Regular, robust joint exercises that improve coordination between "
            "partner forces during crises."
        ),
        objectives=(
            "Two combined field exercises a year.\n"
            "Common procedures for command, communications and logistics.\n"
            "An after-action report shared with every participant."
        ),
        focus_areas=("joint-exercises", "disaster-response"),
        participations=(
            ParticipationSpec(
                "US", LEAD, "Planning staff, airlift and exercise control"
            ),
            ParticipationSpec("BR", PARTNER, "Host nation for the spring exercise"),
            ParticipationSpec("CO", PARTNER, "Riverine and jungle units"),
            ParticipationSpec("CL", PARTNER, "Naval units"),
            ParticipationSpec("PE", PARTNER, "Mountain units"),
            ParticipationSpec("AR", PARTNER, "Medical and engineering units"),
            ParticipationSpec("UY", OBSERVER),
        ),
        status=Status.IMPLEMENTATION,
        owner=COORDINATOR,
        planned_start=-240,
        planned_end=490,
        actual_start=-230,
    ),
    InitiativeSpec(
        title=CYBER_FRAMEWORK,
        kind=Kind.CYBERSECURITY_FRAMEWORK,
        summary=(
            "A framework for sharing best practices and intelligence on cyber threats "
            "against defense and critical national infrastructure."
        ),
        objectives=(
            "Common incident taxonomy and severity scale.\n"
            "Points of contact on call around the clock in every partner.\n"
            "Yearly joint cyber-defense exercise."
        ),
        focus_areas=("cyber-defense", "intelligence-sharing"),
        participations=(
            ParticipationSpec("CL", LEAD, "Framework secretariat"),
            ParticipationSpec("US", PARTNER, "Threat intelligence feeds"),
            ParticipationSpec("BR", PARTNER, "National CSIRT liaison"),
            ParticipationSpec("CO", PARTNER),
            ParticipationSpec("UY", PARTNER),
        ),
        status=Status.IMPLEMENTATION,
        owner=COORDINATOR,
        planned_start=-180,
        planned_end=550,
        actual_start=-150,
    ),
    InitiativeSpec(
        title=CN_TASK_FORCE,
        kind=Kind.JOINT_TASK_FORCE,
        summary=(
            "A specialised unit of Colombian and United States personnel that plans "
            "and runs cross-border operations against drug-trafficking organisations."
        ),
        objectives=(
            "Shared target packages within 24 hours of detection.\n"
            "Joint maritime interdiction on the Pacific routes.\n"
            "Monthly operational review."
        ),
        focus_areas=("counter-narcotics", "intelligence-sharing"),
        participations=(
            ParticipationSpec("CO", LEAD, "Task-force command and interdiction units"),
            ParticipationSpec("US", FUNDER, "Funding, maritime patrol aircraft"),
        ),
        status=Status.IMPLEMENTATION,
        owner=COLOMBIA,
        planned_start=-300,
        planned_end=430,
        actual_start=-290,
        released_to_all=False,
        released_to=("US", "CO"),
    ),
    InitiativeSpec(
        title=DISASTER_PROTOCOLS,
        kind=Kind.DISASTER_RESPONSE_PROTOCOL,
        summary=(
            "Response strategies for earthquakes, floods and El Niño events that can "
            "threaten national security, with agreed requests for mutual assistance."
        ),
        objectives=(
            "Standard request-for-assistance template.\n"
            "Pre-agreed airlift and field-hospital packages.\n"
            "Table-top exercise before the rainy season."
        ),
        focus_areas=("disaster-response", "humanitarian-assistance"),
        participations=(
            ParticipationSpec("PE", LEAD, "Protocol drafting"),
            ParticipationSpec("EC", PARTNER),
            ParticipationSpec("CL", PARTNER, "Earthquake response expertise"),
            ParticipationSpec("BR", PARTNER),
            ParticipationSpec("US", FUNDER, "Airlift and pre-positioned supplies"),
        ),
        status=Status.PIPELINE,
        owner=COORDINATOR,
        planned_start=60,
        planned_end=420,
    ),
    InitiativeSpec(
        title=INTEL_PLATFORM,
        kind=Kind.INTELLIGENCE_SHARING_PLATFORM,
        summary=(
            "Secure communication channels for real-time exchange of intelligence on "
            "trafficking routes among the Andean partners, the United States and Mexico."
        ),
        objectives=(
            "Accredited secure network between national fusion centres.\n"
            "Common reporting format for interdictions and seizures."
        ),
        focus_areas=("intelligence-sharing", "counter-narcotics"),
        participations=(
            ParticipationSpec("US", LEAD, "Network and accreditation"),
            ParticipationSpec("CO", PARTNER, "Fusion centre, Bogotá"),
            ParticipationSpec("PE", PARTNER, "Fusion centre, Lima"),
            ParticipationSpec("EC", PARTNER, "Fusion centre, Guayaquil"),
            ParticipationSpec("MX", PARTNER, "Fusion centre, Mexico City"),
            ParticipationSpec("PY", OBSERVER),
        ),
        status=Status.IMPLEMENTATION,
        owner=COORDINATOR,
        planned_start=-200,
        planned_end=330,
        actual_start=-120,
        released_to_all=False,
        released_to=("US", "CO", "PE", "EC", "MX", "PY"),
    ),
    InitiativeSpec(
        title=TECH_TRANSFER,
        kind=Kind.TECHNOLOGY_TRANSFER_AGREEMENT,
        summary=(
            "Access to advanced defense technologies and partnerships with regional "
            "defense industries, to lower procurement costs and raise capabilities."
        ),
        objectives=(
            "Framework agreement on licensing and export controls.\n"
            "Joint research projects with regional defense industries."
        ),
        focus_areas=(
            "technology-transfer",
            "defense-procurement",
            "research-and-development",
        ),
        participations=(
            ParticipationSpec("US", LEAD, "Export-control review"),
            ParticipationSpec("BR", PARTNER, "Aerospace industry partners"),
            ParticipationSpec("AR", PARTNER),
            ParticipationSpec("CL", PARTNER),
        ),
        status=Status.PIPELINE,
        owner=COORDINATOR,
        planned_start=120,
        planned_end=850,
    ),
    InitiativeSpec(
        title=SECURITY_SUMMIT,
        kind=Kind.REGIONAL_SECURITY_SUMMIT,
        summary=(
            "A forum for defense leaders to discuss emerging threats and agree on "
            "collective responses, hosted by U.S. Southern Command."
        ),
        objectives=(
            "Shared assessment of drug trafficking, organised crime, terrorism and "
            "cyber threats.\n"
            "Agreement on regular situation-assessment meetings."
        ),
        focus_areas=("intelligence-sharing", "community-engagement"),
        participations=(
            ParticipationSpec("US", LEAD, "Host"),
            *(ParticipationSpec(code, PARTNER) for code in SOUTH_AMERICAN_PARTNERS),
            ParticipationSpec("MX", OBSERVER),
        ),
        status=Status.COMPLETION,
        owner=COORDINATOR,
        planned_start=-70,
        planned_end=-68,
        actual_start=-70,
        actual_end=-68,
    ),
    InitiativeSpec(
        title=IT_UPGRADE,
        kind=Kind.IT_UPGRADE,
        summary=(
            "Advanced information technology for real-time intelligence dissemination "
            "among allies: new data links and terminals in the Andean fusion centres."
        ),
        objectives=(
            "Replace legacy terminals in three fusion centres.\n"
            "Data links accredited to a common security standard."
        ),
        focus_areas=("intelligence-sharing", "cyber-defense", "technology-transfer"),
        participations=(
            ParticipationSpec("US", LEAD, "Equipment and accreditation"),
            ParticipationSpec("CO", PARTNER),
            ParticipationSpec("EC", PARTNER),
            ParticipationSpec("PE", PARTNER),
        ),
        status=Status.SUSPENDED,
        owner=COORDINATOR,
        planned_start=-160,
        planned_end=200,
        actual_start=-140,
        released_to_all=False,
        released_to=("US", "CO", "EC", "PE"),
    ),
    InitiativeSpec(
        title=CN_TRAINING,
        kind=Kind.TRAINING_PROGRAM,
        summary=(
            "Comprehensive training for personnel on modern counter-narcotics "
            "strategies and tactics, run by the Colombian counter-narcotics school."
        ),
        objectives=(
            "Four courses a year for officers of partner nations.\n"
            "Community-engagement module to build public trust."
        ),
        focus_areas=("counter-narcotics", "community-engagement"),
        participations=(
            ParticipationSpec("CO", LEAD, "Instructors and training grounds"),
            ParticipationSpec("PE", PARTNER),
            ParticipationSpec("EC", PARTNER),
            ParticipationSpec("BO", PARTNER),
            ParticipationSpec("PY", PARTNER),
            ParticipationSpec("US", FUNDER, "Course funding"),
        ),
        status=Status.IMPLEMENTATION,
        owner=COLOMBIA,
        planned_start=-365,
        planned_end=365,
        actual_start=-350,
    ),
)

# ---------------------------------------------------------------------- meetings

HELD_MEETING = "Regional situation assessment, SOUTHCOM headquarters"
# The quarterly meetings before it, oldest first: the trend charts' history.
EARLIER_MEETINGS = (
    "Quarterly situation assessment, Quito",
    "Quarterly situation assessment, Brasília",
    "Quarterly situation assessment, Cartagena",
)
QUARTERLY_BOGOTA = "Quarterly situation assessment, Bogotá"
QUARTERLY_LIMA = "Quarterly situation assessment, Lima"
TASK_FORCE_REVIEW = "Counter-narcotics joint task force operational review"
ANDEAN_SESSION = "Andean intelligence-sharing working session"

SUMMIT_NATIONS = ("US", *SOUTH_AMERICAN_PARTNERS, "MX")

Trend = SituationAssessment.Trend
Threat = SituationAssessment.ThreatLevel
Confidence = SituationAssessment.Confidence
ON_TRACK = InitiativeEvaluation.Rating.ON_TRACK
AT_RISK = InitiativeEvaluation.Rating.AT_RISK
OFF_TRACK = InitiativeEvaluation.Rating.OFF_TRACK
HELD = AssessmentMeeting.Status.HELD
SCHEDULED = AssessmentMeeting.Status.SCHEDULED
DRAFT = AssessmentMeeting.Status.DRAFT


def _earlier_meeting(title, weeks, location, time_zone, minutes, assessments):
    """A quarterly meeting held ``weeks`` ago, with the assessments of its day."""
    return MeetingSpec(
        title=title,
        on=weeks_ago_on_tuesday(weeks),
        start=datetime.time(9, 0),
        duration=datetime.timedelta(hours=6),
        time_zone=time_zone,
        location=location,
        status=HELD,
        chair=COORDINATOR,
        nations=SUMMIT_NATIONS,
        attendees=(COORDINATOR, COLOMBIA, BRAZIL),
        minutes=minutes,
        agenda=(
            AgendaItemSpec("Opening and adoption of the agenda", 15, COORDINATOR),
            AgendaItemSpec("Drug-trafficking trends since the last meeting", 90),
            AgendaItemSpec("Organised crime and cyber threats", 60),
        ),
        assessments=assessments,
    )


def _history(code, area, concern, levels, summaries, **analysis):
    """The assessments of one concern at the three earlier meetings, oldest
    first: ``levels`` and ``summaries`` give each meeting's threat level and
    summary; ``analysis`` (trend and dimension fields) is the same at each."""
    trend = analysis.pop("trend", Trend.STABLE)
    return tuple(
        AssessmentSpec(code, area, concern, trend, level, summary, **analysis)
        for level, summary in zip(levels, summaries, strict=True)
    )


HISTORY = (
    *_history(
        "CO",
        "counter-narcotics",
        "Cocaine",
        (Threat.HIGH, Threat.HIGH, Threat.CRITICAL),
        (
            "Los cultivos de coca crecen en Nariño y Putumayo; la producción de "
            "cocaína sigue al alza.",
            "La producción aumenta y las salidas por los puertos del Pacífico "
            "son cada vez más frecuentes.",
            "Producción récord y mayores niveles de exportación hacia "
            "Centroamérica y Europa.",
        ),
        trend=Trend.INCREASING,
        production_trend=Trend.INCREASING,
        trafficking_trend=Trend.INCREASING,
        key_drivers="Cultivos en zonas sin presencia del Estado; rutas del Pacífico.",
        sources="Informes de erradicación de la Policía Nacional.",
        confidence=Confidence.HIGH,
        language="es",
    ),
    *_history(
        "BR",
        "counter-narcotics",
        "Marijuana",
        (Threat.LOW, Threat.MODERATE, Threat.MODERATE),
        (
            "O consumo interno de maconha cresce nas grandes cidades.",
            "O consumo interno continua crescendo; menos cargas cruzam a "
            "fronteira com o Paraguai.",
            "Cultivo local no Nordeste substitui as importações; o tráfico "
            "transfronteiriço diminui.",
        ),
        trend=Trend.INCREASING,
        trafficking_trend=Trend.DECREASING,
        consumption_trend=Trend.INCREASING,
        sources="Apreensões da Polícia Federal.",
        language="pt-br",
        confidence=Confidence.MODERATE,
    ),
    *_history(
        "MX",
        "counter-narcotics",
        "Heroin",
        (Threat.HIGH, Threat.HIGH, Threat.HIGH),
        (
            "Poppy cultivation steady in Guerrero and Sinaloa.",
            "Heroin production stable; first large fentanyl laboratories found.",
            "Stable production; traffickers shift towards synthetic opioids.",
        ),
        production_trend=Trend.STABLE,
        emerging_shift="Towards synthetic opioids",
        confidence=Confidence.MODERATE,
    ),
    *_history(
        "PE",
        "counter-narcotics",
        "Cocaine",
        (Threat.MODERATE, Threat.MODERATE, Threat.HIGH),
        (
            "Coca cultivation steady in the VRAEM valleys.",
            "New plots in remote valleys near the Brazilian border.",
            "More shipments by river towards the Amazon basin.",
        ),
        trend=Trend.INCREASING,
        production_trend=Trend.INCREASING,
    ),
    *_history(
        "EC",
        "counter-narcotics",
        "Cocaine transit",
        (Threat.HIGH, Threat.HIGH, Threat.CRITICAL),
        (
            "Container shipments through Guayaquil under closer inspection.",
            "Traffickers move to smaller Pacific ports.",
            "Transit volumes and violence between trafficking groups rising.",
        ),
        trend=Trend.INCREASING,
        trafficking_trend=Trend.INCREASING,
    ),
    *_history(
        "BO",
        "counter-narcotics",
        "Cocaine",
        (Threat.MODERATE, Threat.MODERATE, Threat.MODERATE),
        (
            "Production steady in the Chapare.",
            "Light aircraft carry paste towards Paraguay.",
            "Production steady; air routes towards Paraguay and Brazil.",
        ),
        production_trend=Trend.STABLE,
    ),
    *_history(
        "CL",
        "cyber-defense",
        "Ransomware against public institutions",
        (Threat.MODERATE, Threat.HIGH, Threat.HIGH),
        (
            "Phishing campaigns against ministries.",
            "First ransomware attack on a regional hospital network.",
            "Attacks on public-sector networks; defense networks probed.",
        ),
        trend=Trend.INCREASING,
    ),
    *_history(
        "EC",
        "organised-crime",
        "Prison-based gangs",
        (Threat.HIGH, Threat.HIGH, Threat.CRITICAL),
        (
            "Prison riots in Guayaquil and Latacunga.",
            "Gangs extort businesses in coastal cities from prison.",
            "Gangs run from prisons contract with foreign trafficking groups.",
        ),
        trend=Trend.INCREASING,
    ),
    *_history(
        "CO",
        "organised-crime",
        "Armed groups financed by illegal mining",
        (Threat.MODERATE, Threat.HIGH, Threat.HIGH),
        (
            "Disidencias armadas cobran extorsiones a las minas de oro del Chocó.",
            "La minería ilegal de oro financia a los grupos armados en Antioquia.",
            "Los grupos armados diversifican sus ingresos hacia la minería ilegal.",
        ),
        trend=Trend.INCREASING,
        language="es",
    ),
    *_history(
        "BR",
        "organised-crime",
        "Prison gangs expanding abroad",
        (Threat.MODERATE, Threat.MODERATE, Threat.HIGH),
        (
            "Facções criminosas ampliam sua presença nas fronteiras com o Paraguai "
            "e a Bolívia.",
            "As facções controlam rotas fluviais na Amazônia.",
            "As facções passam a operar portos para o envio de cocaína à Europa.",
        ),
        trend=Trend.INCREASING,
        emerging_shift="Das prisões para as rotas internacionais",
        language="pt-br",
    ),
)


def _at(index):
    """The assessments of the ``index``-th earlier meeting (0 is the oldest)."""
    return HISTORY[index::3]


MEETINGS = (
    _earlier_meeting(
        EARLIER_MEETINGS[0],
        45,
        "Ministry of National Defence, Quito",
        "America/Guayaquil",
        "First quarterly situation assessment after the summit. Partners reported "
        "their drug-trafficking, organised-crime and cyber situations.",
        _at(0),
    ),
    _earlier_meeting(
        EARLIER_MEETINGS[1],
        32,
        "Ministry of Defence, Brasília",
        "America/Sao_Paulo",
        "Second quarterly situation assessment. Mexico reported the first large "
        "fentanyl laboratories; Brazil reported less trafficking across the "
        "Paraguayan border.",
        _at(1),
    ),
    _earlier_meeting(
        EARLIER_MEETINGS[2],
        19,
        "Naval base, Cartagena",
        "America/Bogota",
        "Third quarterly situation assessment. Colombia and Ecuador reported rising "
        "exports through Pacific ports.",
        _at(2),
    ),
    MeetingSpec(
        title=HELD_MEETING,
        on=weeks_ago_on_tuesday(6),
        start=datetime.time(9, 0),
        duration=datetime.timedelta(hours=8),
        time_zone="America/New_York",
        location="U.S. Southern Command headquarters, Doral, Florida",
        status=HELD,
        chair=COORDINATOR,
        nations=SUMMIT_NATIONS,
        attendees=(COORDINATOR, COLOMBIA, BRAZIL),
        attendance=(
            (COORDINATOR, "present", ""),
            (COLOMBIA, "present", ""),
            (BRAZIL, "represented", "Cmdr. Ana Ribeiro, Brazilian Navy"),
        ),
        minutes=(
            "Defense leaders from the United States and South America reviewed the "
            "threats facing the hemisphere: drug trafficking, organised crime, "
            "terrorism and cyber threats, increasingly transnational in nature.\n\n"
            "The meeting agreed to hold situation-assessment meetings every quarter, "
            "to analyse regional drug-trafficking dynamics and evaluate the "
            "effectiveness of current strategies.\n\n"
            "Participants stressed intelligence sharing, joint exercises and "
            "capacity building, and asked the office to follow up the "
            "recommendations below."
        ),
        briefing_summary=(
            "Cocaine production in Colombia keeps rising and reaches export markets "
            "through Ecuador's Pacific ports; trafficking groups are moving into "
            "illegal mining and prison-based gangs are expanding abroad. Mexico "
            "reports a shift from heroin towards synthetic opioids.\n\n"
            "Joint interdiction works on the Pacific routes, but intelligence sharing "
            "lags: the secure platform's accreditation is behind schedule and one "
            "data-link upgrade is suspended. Three recommendations are overdue; the "
            "cyber-incident points of contact are the most urgent."
        ),
        agenda=(
            AgendaItemSpec("Opening and adoption of the agenda", 15, COORDINATOR),
            AgendaItemSpec(
                "Drug-trafficking trends by country",
                90,
                COLOMBIA,
                "Colombia, Brazil, Mexico, Peru, Ecuador and Bolivia report.",
                decision=(
                    "Hold a situation-assessment meeting every quarter to review "
                    "each nation's drug-trafficking picture."
                ),
                discussion=(
                    "Colombia reported rising cocaine production and exports; "
                    "Brazil growing domestic marijuana use with less cross-border "
                    "trafficking; Mexico a shift from heroin to synthetic opioids."
                ),
                follow_up="Propose the dates of the next four quarterly meetings.",
            ),
            AgendaItemSpec(
                "Cyber threats to defense networks",
                45,
                COORDINATOR,
                decision="Each nation names a point of contact for cyber incidents.",
                discussion=(
                    "Incidents against defense networks are reported late and "
                    "through informal channels."
                ),
                follow_up="Name the cyber-incident points of contact within 30 days.",
            ),
            AgendaItemSpec("Evaluation of current initiatives", 90, COORDINATOR),
            AgendaItemSpec("Recommendations and next steps", 45, COORDINATOR),
        ),
        assessments=(
            AssessmentSpec(
                "CO",
                "counter-narcotics",
                "Cocaine",
                Trend.INCREASING,
                Threat.CRITICAL,
                "Production up, higher export levels.",
                production_trend=Trend.INCREASING,
                trafficking_trend=Trend.INCREASING,
                consumption_trend=Trend.STABLE,
                key_drivers=(
                    "Coca cultivation in Nariño, Putumayo and Norte de Santander; "
                    "higher yields per hectare; Pacific routes to Central America."
                ),
                sources=(
                    "National police eradication reports; task-force seizure data; "
                    "port inspections in Buenaventura and Tumaco."
                ),
                confidence=Confidence.HIGH,
            ),
            AssessmentSpec(
                "BR",
                "counter-narcotics",
                "Marijuana",
                Trend.INCREASING,
                Threat.MODERATE,
                "Growing domestic use, less cross-border trafficking.",
                production_trend=Trend.INCREASING,
                trafficking_trend=Trend.DECREASING,
                consumption_trend=Trend.INCREASING,
                key_drivers=(
                    "Local cultivation in the north-east replaces imports from "
                    "Paraguay; demand rising in large cities."
                ),
                sources="Federal police seizures; health-ministry survey.",
                confidence=Confidence.MODERATE,
            ),
            AssessmentSpec(
                "MX",
                "counter-narcotics",
                "Heroin",
                Trend.STABLE,
                Threat.HIGH,
                "Stable production; shift towards synthetic opioids.",
                production_trend=Trend.STABLE,
                trafficking_trend=Trend.STABLE,
                emerging_shift="Towards synthetic opioids",
                key_drivers=(
                    "Fentanyl is cheaper to make and smuggle than heroin; precursor "
                    "chemicals arrive through Pacific ports."
                ),
                sources="Seizure statistics; laboratory dismantling reports.",
                confidence=Confidence.MODERATE,
            ),
            AssessmentSpec(
                "MX",
                "counter-narcotics",
                "Synthetic opioids (fentanyl)",
                Trend.INCREASING,
                Threat.CRITICAL,
                "Clandestine laboratories multiplying; precursor seizures at "
                "Pacific ports doubled on the previous year.",
                is_primary=False,
                production_trend=Trend.INCREASING,
                trafficking_trend=Trend.INCREASING,
                confidence=Confidence.MODERATE,
            ),
            AssessmentSpec(
                "EC",
                "organised-crime",
                "Prison-based gangs",
                Trend.INCREASING,
                Threat.CRITICAL,
                "Gangs run from prisons contract with Mexican and Balkan trafficking "
                "organisations; violence in coastal cities at record levels.",
                key_drivers="Port access, prison overcrowding, weak witness protection.",
                confidence=Confidence.HIGH,
            ),
            AssessmentSpec(
                "CO",
                "organised-crime",
                "Armed groups financed by illegal mining",
                Trend.INCREASING,
                Threat.HIGH,
                "Los grupos armados financian sus operaciones con la minería ilegal "
                "de oro en Antioquia, Chocó y la Amazonía.",
                emerging_shift="Del narcotráfico hacia la minería ilegal",
                confidence=Confidence.MODERATE,
                language="es",
            ),
            AssessmentSpec(
                "PE",
                "counter-narcotics",
                "Cocaine",
                Trend.INCREASING,
                Threat.HIGH,
                "Coca cultivation expanding in remote valleys; more shipments by "
                "river towards the Amazon basin.",
            ),
            AssessmentSpec(
                "EC",
                "counter-narcotics",
                "Cocaine transit",
                Trend.INCREASING,
                Threat.CRITICAL,
                "Pacific ports used as transit hubs for shipments to Europe and North "
                "America; violence between trafficking groups rising.",
            ),
            AssessmentSpec(
                "BO",
                "counter-narcotics",
                "Cocaine",
                Trend.STABLE,
                Threat.MODERATE,
                "Production steady; light aircraft move paste towards Paraguay and "
                "Brazil.",
            ),
            AssessmentSpec(
                "CL",
                "cyber-defense",
                "Ransomware against public institutions",
                Trend.INCREASING,
                Threat.HIGH,
                "Several attacks on public-sector networks this year; defense "
                "networks probed but not breached.",
            ),
        ),
        evaluations=(
            EvaluationSpec(
                JOINT_TRAINING,
                ON_TRACK,
                "Spring exercise held as planned; after-action report circulated.",
            ),
            EvaluationSpec(
                CYBER_FRAMEWORK,
                AT_RISK,
                "Incident taxonomy agreed, but two partners have no around-the-clock "
                "point of contact yet.",
            ),
            EvaluationSpec(
                CN_TASK_FORCE,
                ON_TRACK,
                "Interdictions on the Pacific routes up on the previous year.",
            ),
            EvaluationSpec(
                INTEL_PLATFORM,
                AT_RISK,
                "Network accreditation behind schedule in two fusion centres.",
            ),
            EvaluationSpec(
                IT_UPGRADE,
                OFF_TRACK,
                "Suspended: the new data links failed security accreditation.",
            ),
            EvaluationSpec(
                CN_TRAINING,
                ON_TRACK,
                "Three of four courses delivered; strong demand from partners.",
            ),
        ),
    ),
    MeetingSpec(
        title=QUARTERLY_BOGOTA,
        on=quarters_ahead_second_tuesday(1),
        start=datetime.time(9, 0),
        duration=datetime.timedelta(hours=6),
        time_zone="America/Bogota",
        location="Ministry of National Defense, Bogotá",
        status=SCHEDULED,
        chair=COORDINATOR,
        nations=SUMMIT_NATIONS,
        attendees=(COORDINATOR, COLOMBIA, BRAZIL),
        agenda=(
            AgendaItemSpec("Opening and adoption of the agenda", 15, COORDINATOR),
            AgendaItemSpec("Drug-trafficking trends since the last meeting", 90),
            AgendaItemSpec("Cyber threats and incident reporting", 45),
            AgendaItemSpec("Evaluation of initiatives", 90, COORDINATOR),
            AgendaItemSpec("Open recommendations and overdue actions", 45, COORDINATOR),
        ),
    ),
    MeetingSpec(
        title=QUARTERLY_LIMA,
        on=quarters_ahead_second_tuesday(2),
        start=datetime.time(9, 0),
        duration=datetime.timedelta(hours=6),
        time_zone="America/Lima",
        location="Joint Command of the Armed Forces, Lima",
        status=SCHEDULED,
        chair=COORDINATOR,
        nations=SUMMIT_NATIONS,
        attendees=(COORDINATOR, COLOMBIA, BRAZIL),
        agenda=(
            AgendaItemSpec("Opening and adoption of the agenda", 15, COORDINATOR),
            AgendaItemSpec("Drug-trafficking trends since the last meeting", 90),
            AgendaItemSpec("Disaster-response protocols: draft for adoption", 60),
            AgendaItemSpec("Evaluation of initiatives", 90, COORDINATOR),
        ),
    ),
    MeetingSpec(
        title=TASK_FORCE_REVIEW,
        on=days_ahead_on_tuesday(14),
        start=datetime.time(10, 0),
        duration=datetime.timedelta(hours=2),
        time_zone="America/Bogota",
        location="Task-force command post, Bogotá",
        online_url="https://meet.example.org/cn-task-force",
        status=SCHEDULED,
        chair=COLOMBIA,
        nations=("CO", "US"),
        attendees=(COORDINATOR, COLOMBIA),
        released_to_all=False,
        released_to=("US", "CO"),
        agenda=(
            AgendaItemSpec("Interdictions on the Pacific routes", 45, COLOMBIA),
            AgendaItemSpec("Maritime interdiction data sharing", 45, COORDINATOR),
            AgendaItemSpec("Targets for the next month", 30, COLOMBIA),
        ),
    ),
    MeetingSpec(
        title=ANDEAN_SESSION,
        on=days_ahead_on_tuesday(35),
        start=datetime.time(14, 0),
        duration=datetime.timedelta(hours=3),
        time_zone="America/Lima",
        location="Online",
        online_url="https://meet.example.org/andean-intel",
        status=DRAFT,
        chair=COORDINATOR,
        nations=("US", "CO", "PE", "EC"),
        attendees=(COORDINATOR, COLOMBIA),
        released_to_all=False,
        released_to=("US", "CO", "PE", "EC"),
        agenda=(
            AgendaItemSpec("Platform accreditation status", 60, COORDINATOR),
            AgendaItemSpec("Common reporting format for seizures", 60),
        ),
    ),
)


@dataclass(frozen=True)
class SeriesSpec:
    """A recurring series, scheduled through the meeting services: its attendees
    get one invitation for all its occurrences."""

    title: str
    start: datetime.time
    duration: datetime.timedelta
    time_zone: str
    online_url: str
    chair: str
    nations: tuple[str, ...]
    attendees: tuple[str, ...]
    count: int


# Monthly, on the last Thursday, from next month.
SERIES = SeriesSpec(
    title="Cyber-defence working group",
    start=datetime.time(10, 0),
    duration=datetime.timedelta(hours=1),
    time_zone="America/Bogota",
    online_url="https://meet.example.org/cyber-defence-working-group",
    chair=COORDINATOR,
    nations=("US", "CO", "BR", "CL"),
    attendees=(COORDINATOR, COLOMBIA, BRAZIL),
    count=3,
)


def last_thursday_of_next_month(today: datetime.date) -> datetime.date:
    """The first occurrence of ``SERIES``."""
    first_of_next = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    last_day = (first_of_next + datetime.timedelta(days=32)).replace(
        day=1
    ) - datetime.timedelta(days=1)
    return last_day - datetime.timedelta(days=(last_day.weekday() - 3) % 7)


# --------------------------------------------------------------- recommendations

ACCEPTED = Recommendation.Status.ACCEPTED
IN_PROGRESS = Recommendation.Status.IN_PROGRESS
IMPLEMENTED = Recommendation.Status.IMPLEMENTED
REJECTED = Recommendation.Status.REJECTED
DEFERRED = Recommendation.Status.DEFERRED
LOW = Recommendation.Priority.LOW
MEDIUM = Recommendation.Priority.MEDIUM
HIGH = Recommendation.Priority.HIGH
CRITICAL = Recommendation.Priority.CRITICAL

RECOMMENDATIONS = (
    RecommendationSpec(
        title="Share maritime interdiction data within 24 hours",
        description=(
            "Task-force partners exchange the position, vessel and cargo of every "
            "maritime interdiction within 24 hours, through the task-force channel."
        ),
        focus_area="counter-narcotics",
        owner=COLOMBIA,
        author=COORDINATOR,
        priority=HIGH,
        due_date=-10,
        nations=("CO", "US"),
        source_meeting=HELD_MEETING,
        initiative=CN_TASK_FORCE,
        released_to_all=False,
        released_to=("US", "CO"),
        steps=(
            StepSpec(ACCEPTED, COLOMBIA, "Agreed by the task-force command.", 10),
            StepSpec(
                IN_PROGRESS,
                COLOMBIA,
                "Reporting template in use for Pacific interdictions; Caribbean "
                "routes still report weekly.",
                40,
            ),
        ),
    ),
    RecommendationSpec(
        title="Staff a cyber-incident point of contact around the clock",
        description=(
            "Every partner in the cybersecurity framework names a point of contact "
            "reachable at any hour for incidents on defense networks."
        ),
        focus_area="cyber-defense",
        owner=COORDINATOR,
        author=COORDINATOR,
        priority=HIGH,
        due_date=-21,
        nations=("CL", "BR", "CO", "UY", "US"),
        source_meeting=HELD_MEETING,
        initiative=CYBER_FRAMEWORK,
        steps=(
            StepSpec(
                ACCEPTED,
                COORDINATOR,
                "Accepted by all framework partners; two still to name a contact.",
                20,
            ),
        ),
    ),
    RecommendationSpec(
        title="Study the spread of synthetic opioids along the Pacific routes",
        description=(
            "Commission a joint study of synthetic-opioid precursors moving through "
            "Pacific ports, following Mexico's report of a shift towards synthetic "
            "opioids."
        ),
        focus_area="research-and-development",
        owner=COORDINATOR,
        author=COORDINATOR,
        priority=MEDIUM,
        due_date=-5,
        nations=("MX", "US", "EC", "CO"),
        source_meeting=HELD_MEETING,
    ),
    RecommendationSpec(
        title="Publish a two-year joint training calendar",
        description=(
            "Publish the dates, hosts and scenarios of the joint exercises for the "
            "next two years so that partners can budget and plan."
        ),
        focus_area="joint-exercises",
        owner=COORDINATOR,
        author=COORDINATOR,
        priority=MEDIUM,
        due_date=-14,
        nations=("US", "BR", "CO", "CL", "PE", "AR"),
        source_meeting=HELD_MEETING,
        initiative=JOINT_TRAINING,
        steps=(
            StepSpec(ACCEPTED, COORDINATOR, "Accepted by the exercise planners.", 10),
            StepSpec(IN_PROGRESS, COORDINATOR, "Draft calendar circulated.", 60),
            StepSpec(
                IMPLEMENTED,
                COORDINATOR,
                "Calendar published on the portal and sent to every partner.",
            ),
        ),
    ),
    RecommendationSpec(
        title="Create a permanent regional air-interdiction command",
        description=(
            "Set up a standing multinational command for the interdiction of "
            "trafficking flights."
        ),
        focus_area="counter-narcotics",
        owner=COORDINATOR,
        author=COLOMBIA,
        priority=LOW,
        due_date=None,
        nations=("CO", "PE", "BO", "BR", "PY"),
        source_meeting=HELD_MEETING,
        steps=(
            StepSpec(
                REJECTED,
                COORDINATOR,
                "Partners prefer bilateral air-interdiction agreements to a standing "
                "command.",
            ),
        ),
    ),
    RecommendationSpec(
        title="Re-accredit the data links before resuming the IT upgrade",
        description=(
            "Pass the common security accreditation for every new data link before "
            "the upgrade of the fusion centres resumes."
        ),
        focus_area="cyber-defense",
        owner=COORDINATOR,
        author=COORDINATOR,
        priority=HIGH,
        due_date=90,
        nations=("US", "CO", "EC", "PE"),
        source_meeting=HELD_MEETING,
        initiative=IT_UPGRADE,
        released_to_all=False,
        released_to=("US", "CO", "EC", "PE"),
        steps=(
            StepSpec(ACCEPTED, COORDINATOR, "Accepted by the fusion centres.", 0),
            StepSpec(
                DEFERRED,
                COORDINATOR,
                "Deferred until the accreditation authority has staff; review at the "
                "next quarterly meeting.",
            ),
        ),
    ),
    RecommendationSpec(
        title="Extend the counter-narcotics courses to river-interdiction units",
        description=(
            "Add a river-interdiction course to the counter-narcotics training "
            "programme for Peruvian, Bolivian and Paraguayan units."
        ),
        focus_area="counter-narcotics",
        owner=COLOMBIA,
        author=COLOMBIA,
        priority=MEDIUM,
        due_date=75,
        nations=("CO", "PE", "BO", "PY"),
        source_meeting=HELD_MEETING,
        initiative=CN_TRAINING,
        steps=(
            StepSpec(ACCEPTED, COLOMBIA, "Accepted; instructors identified.", 10),
            StepSpec(IN_PROGRESS, COLOMBIA, "Course syllabus being written.", 30),
        ),
    ),
    RecommendationSpec(
        title="Track precursor-chemical shipments through Pacific ports",
        description=(
            "Flag shipments of fentanyl precursors through Ecuadorian, Colombian and "
            "Mexican Pacific ports on the intelligence-sharing platform."
        ),
        focus_area="intelligence-sharing",
        owner=COORDINATOR,
        author=COORDINATOR,
        priority=CRITICAL,
        due_date=20,
        nations=("MX", "EC", "CO", "US"),
        source_meeting=HELD_MEETING,
        initiative=INTEL_PLATFORM,
        released_to_all=False,
        released_to=("US", "MX", "EC", "CO"),
    ),
    RecommendationSpec(
        title="Hold the regional security summit every year",
        description=(
            "Make the regional security summit a yearly forum for defense leaders to "
            "discuss emerging threats and agree on collective responses."
        ),
        focus_area="community-engagement",
        owner=COORDINATOR,
        author=COORDINATOR,
        priority=MEDIUM,
        due_date=180,
        nations=SUMMIT_NATIONS,
        source_note="Regional security summit, closing session",
        initiative=SECURITY_SUMMIT,
        steps=(StepSpec(ACCEPTED, COORDINATOR, "Endorsed by the defense leaders.", 0),),
    ),
)
