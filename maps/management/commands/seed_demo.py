"""`manage.py seed_demo`: a demo workspace to click around in, run by `make run` when DEBUG is on.

Creates user `demo` (password `demo`), three teammates (password = username), the workspace
"Ledgerly Product" (slug `demo`, demo leads it), an evidence library of every source kind and
one extended map whose notes show every evidence status. Every write goes through the service
functions, with the role a real teammate would need, in one transaction: all or nothing.

Idempotent: an existing user, the workspace `demo`, or a map of the demo title in it are left
alone, so running it twice changes nothing. Dates are relative to today, so the statuses hold
whenever it runs: fresh evidence is at most 60 days old, stale evidence at least 400.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from maps import services as map_services
from maps.models import EmpathyMap, Layout, ReviewState, Role, Workspace
from maps.selectors import map_notes, membership_role
from research import services as research_services
from research.models import Evidence, Source, SourceKind, Stance
from research.status import today

WORKSPACE_NAME = "Ledgerly Product"
WORKSPACE_SLUG = "demo"
MAP_TITLE = "Finance leads at small agencies"
MAP_PERSONA = "Priya, finance lead at a 40-person design agency"
MAP_DESCRIPTION = (
    "Priya runs finance alone at a 40-person design agency: invoicing, expenses, the month-end "
    "close and the numbers the partners ask for every Monday. Which of our beliefs about her "
    "are backed by research, and which are still assumptions?"
)

DEMO_USER = ("demo", "demo")
# username, role in the workspace, first name. Their password is their username.
TEAMMATES = [
    ("maya", Role.RESEARCHER, "Maya"),
    ("leo", Role.EDITOR, "Leo"),
    ("ana", Role.LEAD, "Ana"),
]

AGENCIES = "Agencies 10-50"
FREELANCERS = "Freelancers"
ENTERPRISE = "Enterprise finance"
# No evidence from accounting partners yet: the review dashboard shows it as a gap.
PARTNERS = "Accounting partners"
SEGMENTS = [AGENCIES, FREELANCERS, ENTERPRISE, PARTNERS]

# Each source: its kind, title, age in days (fresh <= 60, stale >= 400), segment, url, and its
# evidence: key, text, participant, locator, and optionally its own segment and age.
SOURCES = [
    {
        "kind": SourceKind.INTERVIEW,
        "title": "Discovery interviews: agency finance leads, round 2",
        "days_ago": 21,
        "segment": AGENCIES,
        "url": "https://research.ledgerly.example/studies/agency-finance-r2",
        "evidence": [
            (
                "int_close_day5",
                "I aim to close by the fifth working day. If I'm not done by the eighth, the "
                "partners start asking where the numbers are and I'm working evenings.",
                "P1, finance lead, 32-person branding studio",
                "00:07:15",
            ),
            (
                "int_close_alone",
                "There's nobody to hand the close to. If I'm off sick in the last week of the "
                "month, it just doesn't happen.",
                "P4, ops and finance manager, 45-person digital agency",
                "00:22:40",
            ),
            (
                "int_retainer",
                "Retainers are where it goes wrong. A client changes scope mid-month, I bill the "
                "old amount, and the account director hears about it before I do.",
                "P1, finance lead, 32-person branding studio",
                "00:31:02",
            ),
            (
                "int_retainer2",
                "My nightmare is a partner forwarding me a client's email asking why the invoice "
                "is wrong.",
                "P6, finance manager, 28-person design agency",
                "00:12:48",
            ),
            (
                "int_export",
                "At month end I export everything to Excel and tick it off line by line against "
                "the bank statement. I don't trust the matching enough not to.",
                "P4, ops and finance manager, 45-person digital agency",
                "00:35:10",
            ),
            (
                "int_margin",
                "I only find out a project lost money a month after it finished. I want to see "
                "it while we can still do something about it.",
                "P6, finance manager, 28-person design agency",
                "00:18:05",
            ),
            (
                "int_margin2",
                "The partners want margin per client. Today I rebuild it from timesheets and "
                "invoices in a spreadsheet every quarter.",
                "P1, finance lead, 32-person branding studio",
                "00:41:30",
            ),
            (
                "int_accountant_portal",
                "Our accountant has their own portal and wants the trial balance in their "
                "format, so I re-key half of it every quarter.",
                "P4, ops and finance manager, 45-person digital agency",
                "00:48:12",
            ),
            (
                "int_partners_profit",
                "Every Monday one of the partners asks whether we're profitable this month. "
                "Honestly, I can't answer that until the close is done.",
                "P6, finance manager, 28-person design agency",
                "00:26:55",
            ),
            (
                "int_3days",
                "If I could close in three days I'd get a week of my life back every month.",
                "P1, finance lead, 32-person branding studio",
                "00:44:20",
            ),
        ],
    },
    {
        "kind": SourceKind.INTERVIEW,
        "title": "Interviews: freelancers and sole traders on invoicing",
        "days_ago": 35,
        "segment": FREELANCERS,
        "url": "https://research.ledgerly.example/studies/freelancer-invoicing",
        "evidence": [
            (
                "fr_accountant",
                "I picked my accounting tool because my accountant uses it. I didn't compare "
                "anything else.",
                "Tom, freelance motion designer",
                "00:09:30",
            ),
            (
                "fr_ai",
                "Auto-categorising is the best bit. I accept what it suggests and fix the odd "
                "one at tax time.",
                "Aisha, freelance copywriter",
                "00:16:45",
            ),
            (
                "fr_export",
                "At tax time I download everything as CSV and email it to my accountant.",
                "Tom, freelance motion designer",
                "00:21:10",
            ),
        ],
    },
    {
        "kind": SourceKind.INTERVIEW,
        "title": "Agency interviews before the bookkeeping redesign",
        "days_ago": 460,
        "segment": AGENCIES,
        "url": "",
        "evidence": [
            (
                "old_spreadsheets",
                "Honestly, spreadsheets do the job. Software like this is for companies with a "
                "proper finance team.",
                "P2, office manager, 18-person agency",
                "00:11:20",
            ),
            (
                "old_receipts",
                "I lose most of a day each month chasing people for receipts on Slack.",
                "P5, finance lead, 25-person studio",
                "00:19:05",
            ),
            (
                "old_accountant_opinion",
                "Our accountant said Ledgerly was fine for freelancers but that we'd outgrow it.",
                "P5, finance lead, 25-person studio",
                "00:33:40",
            ),
        ],
    },
    {
        "kind": SourceKind.USABILITY_TEST,
        "title": "Usability test: month-end close flow, prototype v3",
        "days_ago": 12,
        "segment": AGENCIES,
        "url": "https://research.ledgerly.example/studies/close-flow-v3",
        "evidence": [
            (
                "ut_checklist",
                "On reaching the close checklist: 'This is the first time I can see what's "
                "left.' Completed every close step without help.",
                "P2, finance lead, 40-person agency",
                "Task 3, 14:20",
            ),
            (
                "ut_checklist2",
                "Assigned two checklist items to colleagues unprompted, then asked whether the "
                "owners get a reminder.",
                "P5, finance manager, 22-person studio",
                "Task 3, 09:05",
            ),
            (
                "ut_autocat_off",
                "Switched off auto-categorisation after the first wrong suggestion: 'I'd rather "
                "do it myself than check its homework.'",
                "P3, finance lead, 35-person agency",
                "Task 2, 06:40",
            ),
            (
                "ut_trust",
                "Clicked 'Why this match?' three times looking for the rule behind a suggested "
                "match, and would not confirm it without seeing one.",
                "P3, finance lead, 35-person agency",
                "Task 2, 08:15",
            ),
            (
                "ut_anxious",
                "Described the last week of the month as 'the week I don't sleep well'.",
                "P2, finance lead, 40-person agency",
                "Debrief, 31:50",
            ),
        ],
    },
    {
        "kind": SourceKind.SURVEY,
        "title": "Quarterly customer survey (n=312)",
        "days_ago": 28,
        "segment": None,
        "url": "https://research.ledgerly.example/surveys/quarterly",
        "evidence": [
            (
                "sv_close_days",
                "How many working days does your month-end close take? Median 6 for agencies of "
                "10-50 people (n=118); 27% answered 8 or more.",
                "Agency respondents (n=118)",
                "Q4",
                AGENCIES,
            ),
            (
                "sv_stress",
                "64% of agency respondents rated month-end as 'stressful' or 'very stressful', "
                "the highest of any segment.",
                "Agency respondents (n=118)",
                "Q9",
                AGENCIES,
            ),
            (
                "sv_multientity",
                "Feature ranking: multi-entity consolidation came last of 10 for agencies of "
                "10-50 (chosen by 4%).",
                "Agency respondents (n=118)",
                "Q12",
                AGENCIES,
            ),
            (
                "sv_price",
                "What would make you leave? Price ranked 6th of 8 for agencies; missing "
                "integrations and unreliable bank feeds ranked 1st and 2nd.",
                "Agency respondents (n=118)",
                "Q15",
                AGENCIES,
            ),
            (
                "sv_ai",
                "41 of 96 freelancers mentioned auto-categorisation unprompted and positively, "
                "e.g. 'saves me an evening a month'.",
                "Freelancer respondents (n=96)",
                "Q11 free text",
                FREELANCERS,
            ),
            (
                "sv_accountant_rec",
                "58% of agencies chose their current accounting tool on their accountant's "
                "recommendation.",
                "Agency respondents (n=118)",
                "Q3",
                AGENCIES,
            ),
            (
                "sv_profit",
                "'Knowing whether we're profitable this month' was the top reporting need of "
                "agency respondents (47%).",
                "Agency respondents (n=118)",
                "Q7",
                AGENCIES,
            ),
        ],
    },
    {
        "kind": SourceKind.SURVEY,
        "title": "Pricing perception survey (n=184)",
        "days_ago": 520,
        "segment": AGENCIES,
        "url": "",
        "evidence": [
            (
                "osv_receipts",
                "'Collecting receipts from staff' was the most time-consuming monthly task for "
                "38% of agencies.",
                "Agency respondents (n=184)",
                "Q6",
            ),
            (
                "osv_spreadsheets",
                "52% of agencies under 20 people said a spreadsheet was 'good enough' for their "
                "bookkeeping.",
                "Agency respondents (n=184)",
                "Q2",
            ),
        ],
    },
    {
        "kind": SourceKind.USAGE_DATA,
        "title": "Product analytics: close and export behaviour, last 90 days",
        "days_ago": 5,
        "segment": None,
        "url": "https://analytics.ledgerly.example/dashboards/close",
        "evidence": [
            (
                "us_export_ag",
                "Exports of the transaction ledger to CSV or Excel spike 4.2x in the last three "
                "working days of the month in agency workspaces (10-50 seats).",
                "",
                "Close dashboard, chart 'Exports by day of month'",
                AGENCIES,
            ),
            (
                "us_export_fr",
                "Freelancer workspaces export 3.1x more in January and April, around tax "
                "deadlines, than in other months.",
                "",
                "Close dashboard, chart 'Exports by month'",
                FREELANCERS,
            ),
            (
                "us_bankfeed",
                "18% of agency workspaces had a bank feed disconnect in the last 90 days; 61% of "
                "those uploaded a CSV statement within two days instead of reconnecting.",
                "",
                "Bank feeds dashboard, tile 3",
                AGENCIES,
            ),
            (
                "us_bankfeed_ent",
                "9% of enterprise workspaces had a feed disconnect in the last 90 days, mostly "
                "with one bank (Northway).",
                "",
                "Bank feeds dashboard, segment filter",
                ENTERPRISE,
            ),
            (
                "us_close_time",
                "Median time from first reconciliation to 'period locked': 6.8 days in agency "
                "workspaces.",
                "",
                "Close dashboard, tile 1",
                AGENCIES,
            ),
        ],
    },
    {
        "kind": SourceKind.USAGE_DATA,
        "title": "Usage export: expense approvals launch review",
        "days_ago": 410,
        "segment": AGENCIES,
        "url": "",
        "evidence": [
            (
                "ous_approvals",
                "71% of expense approvals in agency workspaces were made on mobile, clustered "
                "on Fridays between 14:00 and 18:00.",
                "",
                "approvals_launch.xlsx, sheet 2",
            ),
        ],
    },
    {
        "kind": SourceKind.SUPPORT_TICKET,
        "title": "Support tickets: bank feeds and reconciliation",
        "days_ago": 10,
        "segment": None,
        "url": "https://support.ledgerly.example/views/bank-feeds",
        "evidence": [
            (
                "tk_duplicate1",
                "Bank feed shows the same card payment twice after reconnecting. The customer "
                "had already reconciled one of them and now the balance is off.",
                "Finance lead, 34-seat agency",
                "#48213",
                AGENCIES,
                24,
            ),
            (
                "tk_duplicate2",
                "Duplicates again after the Northway feed refreshed: 'Why does the bank feed "
                "show this twice? I can't close the month like this.'",
                "Finance manager, 27-seat studio",
                "#48377",
                AGENCIES,
                16,
            ),
            (
                "tk_disconnect_fr",
                "Feed disconnected for the third time this quarter; asks whether she can just "
                "upload statements instead.",
                "Freelance illustrator",
                "#48102",
                FREELANCERS,
                33,
            ),
            (
                "tk_disconnect_ent",
                "Controller reports the nightly feed for two accounts failed to sync for five "
                "days unnoticed; asks for an alert when a feed stops.",
                "Financial controller, 220-seat group",
                "#47950",
                ENTERPRISE,
                41,
            ),
            (
                "tk_fx",
                "Receipts for USD software subscriptions won't match the GBP card payments; "
                "the customer matched 14 of them by hand.",
                "Finance lead, 38-seat agency",
                "#48290",
                AGENCIES,
                19,
            ),
            (
                "tk_fx2",
                "Foreign-currency receipts stuck in 'unmatched'; asks why the amount tolerance "
                "can't allow for FX fees.",
                "Operations manager, 19-seat agency",
                "#48415",
                AGENCIES,
                11,
            ),
            (
                "tk_accountant_format",
                "Needs the trial balance in the accountant's own template every quarter; asks "
                "for a custom export layout.",
                "Finance lead, 41-seat agency",
                "#48188",
                AGENCIES,
                27,
            ),
        ],
    },
    {
        "kind": SourceKind.OTHER,
        "title": "Sales call notes: enterprise pipeline",
        "days_ago": 40,
        "segment": ENTERPRISE,
        "url": "https://crm.ledgerly.example/reports/enterprise-pipeline",
        "evidence": [
            (
                "sl_multientity",
                "Group financial controller (3 entities, 180 staff): multi-entity consolidation "
                "is a hard requirement. 'We'd switch tomorrow if you had it.'",
                "Group financial controller",
                "Opportunity ENT-1182",
            ),
            (
                "sl_price",
                "Lost at proposal: the jump from the Team to the Business plan was 'hard to "
                "justify for six extra seats'.",
                "Head of finance, 60-person consultancy",
                "Opportunity ENT-1207",
            ),
        ],
    },
    {
        "kind": SourceKind.OTHER,
        "title": "Field notes: 'Agency Ops' Slack community",
        "days_ago": 45,
        "segment": None,
        "url": "",
        "evidence": [
            (
                "cm_templates",
                "Finance leads swap month-end close spreadsheet templates; the pinned 'close "
                "checklist' template has more than 140 reactions.",
                "",
                "#finance channel, pinned thread",
            ),
            (
                "cm_templates2",
                "Members post their own close checklists every month; most questions are about "
                "missing receipts and who chases them.",
                "",
                "#finance channel, monthly close thread",
            ),
        ],
    },
]

# Each note: section, team, text, supporting evidence, contradicting evidence, optional review.
# The comments on the right are the status the links produce.
NOTES = [
    # Says
    (
        "says",
        "research",
        '"I close the books on the fifth working day, and every day past that the partners '
        'ask me where the numbers are."',
        ["int_close_day5", "sv_close_days", "us_close_time"],  # supported
        [],
    ),
    (
        "says",
        "sales",
        '"We\'d switch tomorrow if Ledgerly handled multi-entity consolidation."',
        ["sl_multientity"],
        ["sv_multientity"],  # contested: sales and research disagree
    ),
    (
        "says",
        "support",
        '"Why does the bank feed show this transaction twice?"',
        ["tk_duplicate1", "tk_duplicate2"],  # supported, narrow
        [],
    ),
    (
        "says",
        "marketing",
        '"I just want to stop chasing clients for payment."',
        [],  # assumption
        [],
    ),
    # Thinks
    (
        "thinks",
        "research",
        "If a client's retainer is billed wrong, the partners will hear about it before she does.",
        ["int_retainer", "int_retainer2"],  # supported, narrow
        [],
    ),
    (
        "thinks",
        "leadership",
        "Spreadsheets are good enough; accounting software is for companies with a finance team.",
        ["old_spreadsheets", "osv_spreadsheets"],  # stale
        [],
    ),
    (
        "thinks",
        "product",
        "She doesn't trust our tax estimate and re-checks it in a spreadsheet.",
        [],  # assumption
        [],
    ),
    (
        "thinks",
        "design",
        "She won't trust automation she can't see the workings of.",
        ["ut_trust", "ut_autocat_off"],  # supported, narrow
        [],
    ),
    (
        "thinks",
        "engineering",
        "She'd rather have solid integrations with the tools she already uses than one suite "
        "that does everything.",
        [],  # assumption, disagrees with leadership's "fewer tools" gain
        [],
    ),
    # Does
    (
        "does",
        "engineering",
        "Exports the whole ledger to a spreadsheet at month-end and reconciles it by hand.",
        ["int_export", "us_export_ag", "us_export_fr", "fr_export"],  # supported, broad
        [],
    ),
    (
        "does",
        "product",
        "Approves expenses in one batch on Friday afternoon, from her phone.",
        ["ous_approvals"],  # stale
        [],
    ),
    (
        "does",
        "support",
        "When a bank feed disconnects she tries support once, then gives up and uploads a CSV "
        "statement.",
        ["us_bankfeed", "tk_disconnect_fr"],  # supported, broad
        [],
    ),
    (
        "does",
        "sales",
        "Picks tools by asking her outside accountant what they recommend.",
        ["sv_accountant_rec", "fr_accountant"],  # supported, broad
        [],
    ),
    (
        "does",
        "marketing",
        "Reads our blog for bookkeeping tips.",
        [],  # assumption, dismissed
        [],
        (
            ReviewState.DISMISSED,
            "No sign of this in any interview, and blog traffic is mostly students. "
            "Not worth researching.",
        ),
    ),
    # Feels
    (
        "feels",
        "research",
        "Anxious in the last week of the month: the close rests on her alone.",
        ["int_close_alone", "sv_stress", "ut_anxious"],  # supported
        [],
    ),
    (
        "feels",
        "marketing",
        "Excited by AI bookkeeping that categorises everything for her.",
        ["sv_ai", "fr_ai"],
        ["ut_autocat_off"],  # contested: marketing and design disagree
    ),
    (
        "feels",
        "design",
        "Embarrassed when a client spots an invoice mistake before she does.",
        [],  # assumption, needs research
        [],
        (
            ReviewState.NEEDS_RESEARCH,
            "Plausible and important for the invoicing redesign. Can we probe this in the next "
            "round of agency interviews?",
        ),
    ),
    # Goals
    (
        "goals",
        "leadership",
        "Close the month in three days instead of seven.",
        ["int_3days", "us_close_time"],  # supported
        [],
        (ReviewState.VALIDATED, "Matches interviews and the close dashboard. Our Q3 bet."),
    ),
    (
        "goals",
        "product",
        "Know each project's margin while the project is still running.",
        ["int_margin", "int_margin2"],  # supported, narrow
        [],
    ),
    (
        "goals",
        "sales",
        "Hand the partners a board-ready report without rebuilding it every month.",
        [],  # assumption
        [],
    ),
    # Pains
    (
        "pains",
        "support",
        "Bank feeds disconnect every few weeks and have to be re-authorised.",
        ["tk_disconnect_fr", "tk_disconnect_ent", "us_bankfeed", "us_bankfeed_ent"],  # broad
        [],
    ),
    (
        "pains",
        "engineering",
        "Receipts for foreign-currency card payments never match automatically.",
        ["tk_fx", "tk_fx2"],  # supported, narrow
        [],
    ),
    (
        "pains",
        "product",
        "Chasing staff for missing receipts eats a day every month.",
        ["old_receipts", "osv_receipts"],  # stale
        [],
    ),
    (
        "pains",
        "sales",
        "The price jump from our Team plan to Business is what makes her look elsewhere.",
        ["sl_price"],
        ["sv_price"],  # contested: sales and research disagree
    ),
    # Gains
    (
        "gains",
        "design",
        "A close checklist that shows what's left and who owns each step.",
        ["ut_checklist", "ut_checklist2"],  # supported, narrow
        [],
    ),
    (
        "gains",
        "marketing",
        "Telling the partners 'the numbers are final' and being sure of it.",
        [],  # assumption
        [],
    ),
    (
        "gains",
        "leadership",
        "Fewer tools: invoicing, expenses and payroll in one place.",
        [],  # assumption
        [],
    ),
    # Sees
    (
        "sees",
        "research",
        "Other agency finance leads in Slack communities swapping close spreadsheet templates.",
        ["cm_templates", "cm_templates2"],  # supported, narrow (no segment, one kind)
        [],
    ),
    (
        "sees",
        "marketing",
        "Ads from every competitor promising 'fully automated bookkeeping'.",
        [],  # assumption
        [],
    ),
    (
        "sees",
        "product",
        "Her accountant's portal asks for the same numbers in a different format.",
        ["int_accountant_portal", "tk_accountant_format"],  # supported
        [],
    ),
    # Hears
    (
        "hears",
        "sales",
        "Her accountant says Ledgerly is 'fine for freelancers, not for agencies'.",
        ["old_accountant_opinion"],  # stale
        [],
    ),
    (
        "hears",
        "leadership",
        "The partners asking 'are we profitable this month?' every Monday.",
        ["int_partners_profit", "sv_profit"],  # supported
        [],
    ),
    (
        "hears",
        "support",
        "Peers telling her to hire a part-time bookkeeper rather than buy more software.",
        [],  # assumption
        [],
    ),
]

# The last notes (and their links) come after a lead marked the map reviewed.
NOTES_AFTER_REVIEW = 3

# Who writes a note from each team's perspective (a teammate with at least the editor role).
AUTHOR_BY_TEAM = {
    "research": "maya",
    "leadership": "ana",
    "product": "leo",
    "design": "leo",
    "engineering": "leo",
    "marketing": "demo",
    "sales": "demo",
    "support": "demo",
}
NEEDS_RESEARCH_ASSIGNEE = "maya"
NEEDS_RESEARCH_DUE_DAYS = 14


class Command(BaseCommand):
    help = "Seed the demo workspace (user demo/demo); does nothing that is already there."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even when DEBUG is off (it creates a user with a known password).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: not seeding the demo (user demo has a known password). "
                "Pass --force to seed anyway."
            )
        with transaction.atomic():
            self.seed()

    def say(self, message: str) -> None:
        self.stdout.write(message)

    # Users and workspace ------------------------------------------------------------------------

    def user(self, username: str, password: str, first_name: str = ""):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            self.say(f"user {username}: exists, left alone")
            return user
        user = User(username=username, first_name=first_name)
        user.set_password(password)
        user.save()
        self.say(f"user {username}: created (password {password})")
        return user

    def seed(self) -> None:
        demo = self.user(*DEMO_USER, first_name="Demo")
        self.users = {"demo": demo}
        for username, _role, first_name in TEAMMATES:
            self.users[username] = self.user(username, username, first_name)

        workspace = Workspace.objects.filter(slug=WORKSPACE_SLUG).first()
        if workspace is None:
            workspace = map_services.workspace_create(
                actor=demo, name=WORKSPACE_NAME, slug=WORKSPACE_SLUG
            )
            self.say(f"workspace {WORKSPACE_SLUG}: created {WORKSPACE_NAME!r}, demo is lead")
            for username, role, _first_name in TEAMMATES:
                map_services.member_add(
                    actor=demo, workspace_slug=WORKSPACE_SLUG, username=username, role=role
                )
                self.say(f"member {username}: added as {role.value}")
        else:
            self.say(f"workspace {WORKSPACE_SLUG}: exists, left alone")

        if membership_role(user=demo, workspace_id=workspace.pk) != Role.LEAD:
            self.say(f"user demo does not lead workspace {WORKSPACE_SLUG}: not seeding the map")
            return
        self.workspace = workspace
        existing = EmpathyMap.objects.filter(workspace=workspace, title=MAP_TITLE).first()
        if existing is not None:
            self.say(f"map {MAP_TITLE!r}: exists (/maps/{existing.pk}/), left alone")
            return

        evidence = self.seed_library()
        self.seed_map(evidence)

    def actor(self, username: str, role: Role):
        """The teammate if they still have the role in the workspace, else demo (the lead)."""
        user = self.users[username]
        actual = membership_role(user=user, workspace_id=self.workspace.pk)
        return user if actual is not None and actual.includes(role) else self.users["demo"]

    # Evidence library ---------------------------------------------------------------------------

    def seed_library(self) -> dict[str, int]:
        """Segments, sources and evidence; existing sources (same kind and title) are reused."""
        researcher = self.actor("maya", Role.RESEARCHER)
        day = today()
        segments = {
            name: research_services.segment_create(
                actor=researcher, workspace_slug=WORKSPACE_SLUG, name=name
            ).pk
            for name in SEGMENTS
        }
        self.say(f"segments: {', '.join(SEGMENTS)}")
        evidence_ids: dict[str, int] = {}
        created_sources = created_evidence = 0
        for spec in SOURCES:
            collected_on = day - timedelta(days=spec["days_ago"])
            source = Source.objects.filter(
                workspace=self.workspace, kind=spec["kind"], title=spec["title"]
            ).first()
            if source is None:
                source = research_services.source_create(
                    actor=researcher,
                    workspace_slug=WORKSPACE_SLUG,
                    kind=spec["kind"],
                    title=spec["title"],
                    collected_on=collected_on,
                    url=spec["url"],
                    segment_id=segments[spec["segment"]] if spec["segment"] else None,
                )
                created_sources += 1
            for key, text, participant, locator, *extra in spec["evidence"]:
                segment = extra[0] if extra else None
                days_ago = extra[1] if len(extra) > 1 else None
                item = Evidence.objects.filter(source=source, text=text).first()
                if item is None:
                    item = research_services.evidence_create(
                        actor=researcher,
                        source_id=source.pk,
                        text=text,
                        collected_on=(
                            day - timedelta(days=days_ago) if days_ago is not None else None
                        ),
                        segment_id=segments[segment] if segment else None,
                        participant=participant,
                        locator=locator,
                    )
                    created_evidence += 1
                evidence_ids[key] = item.pk
        self.say(f"sources: {created_sources} created, evidence: {created_evidence} created")
        return evidence_ids

    # The map ------------------------------------------------------------------------------------

    def seed_map(self, evidence: dict[str, int]) -> None:
        demo = self.users["demo"]
        researcher = self.actor("maya", Role.RESEARCHER)
        empathy_map = map_services.map_create(
            actor=demo,
            workspace_slug=WORKSPACE_SLUG,
            title=MAP_TITLE,
            persona=MAP_PERSONA,
            description=MAP_DESCRIPTION,
            layout=Layout.EXTENDED,
        )
        links = reviews = 0
        for index, (section, team, text, supports, contradicts, *review) in enumerate(NOTES):
            if index == len(NOTES) - NOTES_AFTER_REVIEW:
                # A lead's checkpoint, so that the review dashboard has changes since it to show.
                map_services.map_mark_reviewed(
                    actor=self.actor("ana", Role.LEAD), map_id=empathy_map.pk
                )
            note = map_services.note_create(
                actor=self.actor(AUTHOR_BY_TEAM[team], Role.EDITOR),
                map_id=empathy_map.pk,
                section=section,
                text=text,
                team=team,
            )
            for stance, keys in ((Stance.SUPPORTS, supports), (Stance.CONTRADICTS, contradicts)):
                for key in keys:
                    research_services.link_create(
                        actor=researcher,
                        note_id=note["id"],
                        evidence_id=evidence[key],
                        stance=stance,
                    )
                    links += 1
            if review:
                self.review(note["id"], *review[0])
                reviews += 1

        counts: dict[str, int] = {}
        for note in map_notes(empathy_map=empathy_map):
            counts[note["status"]] = counts.get(note["status"], 0) + 1
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        self.say(
            f"map {MAP_TITLE!r}: created (/maps/{empathy_map.pk}/) with {len(NOTES)} notes "
            f"({summary}), {links} evidence links, {reviews} reviews"
        )

    def review(self, note_id: int, state: str, comment: str) -> None:
        assignee = due = None
        if state == ReviewState.NEEDS_RESEARCH:
            due = today() + timedelta(days=NEEDS_RESEARCH_DUE_DAYS)
            maya = self.users[NEEDS_RESEARCH_ASSIGNEE]
            role = membership_role(user=maya, workspace_id=self.workspace.pk)
            if role is not None and role.includes(Role.RESEARCHER):
                assignee = NEEDS_RESEARCH_ASSIGNEE
        map_services.note_review(
            actor=self.users["demo"],
            note_id=note_id,
            state=state,
            comment=comment,
            assignee=assignee,
            due=due,
        )
