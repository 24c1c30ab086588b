import datetime, io
import pytest
import pypdf
from django.utils import timezone
from cooperation import briefings
from cooperation.pdf import briefing_pdf, briefing_html
from tests import factories

pytestmark = pytest.mark.django_db

def test_explore(colombia, brazil, united_states, colombian_user):
    focus = factories.FocusAreaFactory(name="Counter-narcotics", slug="narcotics")
    now = timezone.now()
    old = factories.AssessmentMeetingFactory(starts_at=now - datetime.timedelta(days=90), ends_at=now - datetime.timedelta(days=90) + datetime.timedelta(hours=2))
    m = factories.AssessmentMeetingFactory(title="Andean review", starts_at=now - datetime.timedelta(days=2), ends_at=now - datetime.timedelta(days=2) + datetime.timedelta(hours=2), released_to_all=False, released_to=[united_states, colombia, brazil], briefing_summary="Cocaine up.")
    factories.SituationAssessmentFactory(meeting=old, nation=colombia, focus_area=focus, threat_level=2, trend="stable")
    factories.SituationAssessmentFactory(meeting=m, nation=colombia, focus_area=focus, threat_level=4, production_trend="increasing", emerging_shift="towards synthetic opioids", confidence="high")
    r = factories.RecommendationFactory(source_meeting=m, status="in_progress", due_date=timezone.localdate() - datetime.timedelta(days=3))
    content = briefings.meeting_briefing(colombian_user, m)
    print(content.marking.text)
    pdf, pages = briefing_pdf(content)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for p in reader.pages:
        print("=====PAGE"); print(p.extract_text())
