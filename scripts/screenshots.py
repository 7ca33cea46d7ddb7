"""Screenshots of every view for docs/screenshots/, from a realistic database built in a
temporary folder (the texts below were written for this purpose; they are not any platform's).

    xvfb-run -a python scripts/screenshots.py          # or QT_QPA_PLATFORM=offscreen
    xvfb-run -a python scripts/screenshots.py --only picker-ota   # just the named shot(s)

picker-ota is the picker after a catalogue update from the four Open Terms Archive archives in
../shared/opentermsarchive (skipped when they are absent).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display: render offscreen

from watcher_app.analysis import analyze_change  # noqa: E402
from watcher_app.diff import diff_texts  # noqa: E402
from watcher_app.extract.normalize import text_words, words_sha256  # noqa: E402
from watcher_app.store.db import open_database  # noqa: E402
from watcher_app.store.models import Alert, Change, Check, Document, Snapshot, Version  # noqa: E402
from watcher_app.watchlist import watch  # noqa: E402

OUT = REPO / "docs" / "screenshots"
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)

PRIVACY_V1 = """# Privacy Policy
Effective {start}
This Privacy Policy explains how we collect, use and share personal data when you use our assistant, our developer platform and our websites (together, the "Services"). It applies whether you use the Services for free or under a paid plan.
## 1. Who we are
We are the controller of the personal data described in this policy. If you use the Services on behalf of an organisation that has a commercial agreement with us, that organisation controls the content you submit and our Commercial Terms apply instead.
## 2. Data we collect
- Account data: your name, email address, phone number and the payment details you provide when you subscribe.
- Inputs and outputs: the prompts, files and other content you submit, and the responses the Services generate.
- Feedback: ratings and comments you give about a response.
- Technical data: device identifiers, browser type, IP address, the approximate location derived from it, and logs of how you interact with the Services.
We do not knowingly collect data from children under 18, and the Services are not directed at them.
## 3. How we use your data
We use your data to provide, maintain and secure the Services, to process payments, to answer your requests and to comply with the law.
We use aggregated and de-identified usage data to understand how the Services are used and to improve them.
We do not use your inputs and outputs to train our models unless you explicitly report them to us as feedback.
We may review inputs and outputs to detect and prevent abuse, for example to enforce our Acceptable Use Policy.
## 4. Sharing
We share personal data with service providers that host our infrastructure, process payments and provide customer support, under contracts that limit their use of it.
We may disclose personal data to public authorities when the law requires it, or to protect the rights, safety and property of our users and others.
If we are involved in a merger, acquisition or sale of assets, personal data may be transferred as part of that transaction.
We never sell your personal data.
## 5. Retention
We keep your inputs and outputs for 30 days after you delete them, after which they are removed from our back-end systems.
Conversations flagged for violating our policies may be kept for up to two years to improve our safety systems.
Account data is kept while your account is open and for a reasonable period afterwards to meet our legal obligations.
## 6. International transfers
We process data in the United States and in other countries where our service providers operate. Where the law requires it, we rely on standard contractual clauses approved by the European Commission.
## 7. Cookies
We use strictly necessary cookies to keep you signed in and to secure the Services and, with your consent, analytics cookies to measure how our websites are used. Our Cookie Policy lists them.
## 8. Your rights
Depending on where you live, you may have the right to access, correct, delete or port your personal data, to object to or restrict its processing, and to withdraw consent at any time.
You can exercise these rights from your account settings or by writing to our privacy team. We will answer within one month.
You also have the right to lodge a complaint with your local data protection authority.
## 9. Changes to this policy
We may update this policy from time to time. We will notify you of material changes by email or through the Services before they take effect.
## 10. Contact
Questions about this policy can be sent to our privacy team or to our data protection officer at the addresses shown on our website."""  # noqa: E501 - prose, one paragraph a line


def privacy_versions() -> list[str]:
    start = (NOW - dt.timedelta(days=200)).strftime("%-d %B %Y")
    v1 = PRIVACY_V1.format(start=start)
    v2 = v1.replace("- Feedback:", "- Connected services: when you link a calendar, a mailbox or "
                    "a document store, the data you choose to share from it.\n- Feedback:")
    v2 = v2.replace("We will answer within one month.", "We will answer within 30 days.")
    v3 = v2.replace("approved by the European Commission.", "approved by the European "
                    "Commission;").replace("(together, the", "(together the")
    effective = (NOW + dt.timedelta(days=28)).strftime("%-d %B %Y")
    children = ("We do not knowingly collect data from children under 18, and the Services are "
                "not directed at them.")
    v4 = v3.replace(children + "\n", "") + f"\n## 11. Children\n{children}"  # moved
    for old, new in (  # reworded, added and moved paragraphs: a real, many-sided change
        (f"Effective {start}", f"Effective {effective}"),
        ("We do not use your inputs and outputs to train our models unless you explicitly report "
         "them to us as feedback.", "We use your inputs and outputs to train and improve our "
         "models, unless you turn off the \"Help improve the models\" setting in your privacy "
         "settings. Chats you delete are not used for future training."),
        ("We keep your inputs and outputs for 30 days after you delete them, after which they are "
         "removed from our back-end systems.", "If you allow us to use your chats for model "
         "training, we keep your inputs and outputs for up to five years in de-identified form; "
         "otherwise we keep them for 30 days after you delete them."),
        ("We never sell your personal data.\n", ""),
        ("## 4. Sharing\n", "## 4. Sharing\nWe never sell your personal data.\nWe may share "
         "de-identified conversations with research partners under agreements that prohibit "
         "re-identification.\n"),
        ("when the law requires it, or to protect", "when the law requires it, when we believe "
         "in good faith that disclosure is necessary, or to protect"),
        ("up to two years to improve", "up to seven years to improve"),
        ("in the United States and in other", "in the United States, in the European Economic "
         "Area and in other"),
    ):
        v4 = v4.replace(old, new)
    return [v1, v2, v3, v4]


AUP_V1 = """# Generative AI Prohibited Use Policy
Generative AI models can help you explore new topics, inspire your creativity and learn new things. We expect you to use them safely and responsibly.
## Do not use the services to:
- Perform or facilitate dangerous, illegal or malicious activities, including the facilitation of child sexual abuse or exploitation, violent extremism or terrorism.
- Abuse, harm, interfere with or disrupt services, including generating or distributing content for spam, phishing or malware.
- Attempt to override or circumvent safety filters or intentionally drive the model to act in a manner that contravenes our policies.
- Generate content that may harm or promote harm to individuals or groups, such as harassment, bullying or intimidation.
- Generate and distribute content intended to misinform, misrepresent or mislead, including impersonating an individual without explicit disclosure.
- Generate sexually explicit content, including content created for the purposes of pornography or sexual gratification.
## Exceptions
We may make exceptions based on educational, documentary, scientific or artistic considerations, or where the benefits to the public substantially outweigh the potential harms.
## Enforcement
We may suspend or terminate your access if you violate this policy, and we may report illegal content to the competent authorities."""  # noqa: E501

TERMS_V1 = """# Terms of Use
Last updated: {date}
These Terms of Use apply to your use of our assistant, our apps and our other services for individuals. Please read them carefully.
## Who we are
We are an AI research and deployment company. Our mission is to ensure that artificial general intelligence benefits everyone.
## Registration and access
You must be at least 13 years old, or the minimum age required in your country to consent to use the services. If you are under 18 you must have your parent or legal guardian's permission.
You must provide accurate and complete information to register for an account. You may not share your account credentials or make your account available to anyone else.
## Using our services
You may access and use our services only in compliance with these Terms, our Usage Policies and any guidelines we provide to you.
You may not use our services for any illegal, harmful or abusive activity, or to develop models that compete with ours.
## Content
You may provide input to the services and receive output. As between you and us, you retain your ownership rights in input and own the output, to the extent permitted by law.
Output may not always be accurate. You should not rely on output as a sole source of truth or factual information, or as a substitute for professional advice.
## Paid accounts
If you purchase any services, you will provide complete and accurate billing information. Your subscription continues and automatically renews until you cancel.
## Termination
You are free to stop using our services at any time. We may suspend or terminate your access if you materially breach these Terms or if we must do so to comply with the law.
## Dispute resolution
These Terms are governed by the laws of Ireland, and any dispute will be resolved by the courts of Ireland, unless mandatory consumer law where you live provides otherwise."""  # noqa: E501

GENERIC = """# {doc}
Last updated: {date}
This {doc} describes the rules that apply when you use the services of {name}. It forms part of our agreement with you.
## Scope
It applies to every product and website that links to it, whatever device you use to access them.
## Your responsibilities
You are responsible for the activity that takes place under your account and for keeping your credentials secure.
- Follow the law that applies to you and to the people affected by what you do.
- Respect the rights of others, including their privacy and intellectual property.
- Tell us promptly about any unauthorised use of your account.
## Our commitments
We explain our decisions when we restrict content or accounts, and you can ask us to review them.
## Contact
You can contact us about this {doc} through the help centre or at the postal address shown on our website."""  # noqa: E501


EXTRA_CHANGES = (  # (platform, document, days ago, edit of the generic text, read)
    ("x", "Privacy Policy", 120, ("## Our commitments", "## Our commitments\nWe may use public "
     "posts and the information you share with us to train machine learning and artificial "
     "intelligence models, including those of our partners."), True),
    ("openai", "Privacy Policy", 95, ("help centre", "Help Center"), True),
    ("anthropic", "Acceptable Use Policy", 40, ("- Tell us promptly", "- Do not use automated "
     "means to collect content from the services without our written permission.\n- Tell us "
     "promptly"), True),
    ("reddit", "Terms of Service", 6, ("## Contact", "Any dispute will be settled by binding "
     "individual arbitration, and you waive the right to take part in a class action.\n"
     "## Contact"), False),
)


def html_of(text: str) -> bytes:
    body = []
    for line in text.split("\n"):
        if level := len(line) - len(line.lstrip("#")):
            body.append(f"<h{level}>{line[level + 1:]}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<ul><li>{line[2:]}</li></ul>")
        else:
            body.append(f"<p>{line}</p>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Policy</title></head>"
            "<body><nav>Home · Legal</nav><main>" + "\n".join(body) + "</main></body></html>")
    return page.encode("utf-8")


def add_version(doc: Document, text: str, at: dt.datetime, kind: str, previous: Version | None,
                *, severity: str | None = None, read: bool = True) -> Version:
    raw = html_of(text)
    snap = Snapshot.create(document=doc, url=doc.sources[0]["url"], fetched_at=at, http_status=200,
                           headers={"etag": f'"{hashlib.md5(raw).hexdigest()[:16]}"'},
                           content_type="text/html", sha256=hashlib.sha256(raw).hexdigest(),
                           size=len(raw), body=raw)
    Version.update(current=False).where(Version.document == doc).execute()
    version = Version.create(
        document=doc, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(),
        key_sha256=words_sha256(text_words(text.split("\n"))), snapshots=[snap.id],
        extractor_version=1, kind=kind, first_seen=at, last_verified=at, current=True)
    outcome = {"first": "first", "change": "changed"}.get(kind, "noise")
    reason = {"first": "first version", "change": "the wording changed (confirmed)",
              "noise": "only punctuation or layout changed"}[kind]
    Check.create(document=doc, started_at=at, outcome=outcome, reason=reason, http_status=200,
                 duration_s=1.4, raw_sha256=snap.sha256, version=version)
    if kind == "change" and previous is not None:
        result = diff_texts(previous.text, text)
        analysis = analyze_change(previous.text, text)
        change = Change.create(
            document=doc, from_version=previous, to_version=version, detected_at=at,
            stats={**asdict(result.stats), "degraded": result.degraded},
            severity=severity or analysis.severity, categories=list(analysis.categories),
            summary=analysis.summary, effective_date=analysis.effective_date,
            analysis=analysis.to_json(), read=read, notified=True)
        Alert.create(created_at=at, kind="change", change=change, document=doc,
                     title=f"{doc.platform.name} — {doc.type} changed ({change.severity})",
                     body=analysis.summary, channel="native" if read else "banner",
                     delivered=True, detail="shown by the desktop notification service" if read
                     else "no notification service on the session bus; fell back to banner")
    return version


def verified(doc: Document, version: Version, start: dt.datetime, end: dt.datetime,
             every_h: int = 12) -> None:
    times = [start + dt.timedelta(hours=every_h * k)
             for k in range(1, int((end - start).total_seconds() // (3600 * every_h)) + 1)]
    if times:
        Check.insert_many([{"document": doc.id, "started_at": at, "outcome": "unchanged",
                            "reason": "verified", "http_status": 200, "duration_s": 0.9,
                            "version": version.id} for at in times]).execute()
    last = times[-1] if times else start
    Version.update(last_verified=last).where(Version.id == version.id).execute()
    Document.update(last_check_at=last, last_outcome="unchanged", last_reason="verified",
                    consecutive_failures=0).where(Document.id == doc.id).execute()


def failing(doc: Document, outcome: str, reason: str, times: list[dt.datetime]) -> None:
    for at in times:
        Check.create(document=doc, started_at=at, outcome=outcome, reason=reason,
                     http_status=403 if outcome == "blocked" else None, duration_s=2.1)
    Document.update(last_check_at=times[-1], last_outcome=outcome, last_reason=reason,
                    consecutive_failures=len(times)).where(Document.id == doc.id).execute()
    Alert.create(created_at=times[-1], kind="failure", document=doc,
                 title=f"{doc.platform.name} — {doc.type}: {len(times)} checks failed in a row",
                 body=f"{reason} — changes to this document may go unnoticed.", channel="tray",
                 delivered=True, detail="no notification service on the session bus; fell "
                                        "back to tray")


def days(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def build(folder: Path) -> dict[str, int]:
    """The demo database; returns the ids the screenshots open."""
    db = open_database(folder)
    watch(db, ["anthropic", "openai", "google-gemini", "x", "reddit"])
    docs = {(d.platform_id, d.type): d for d in Document.select()}
    ids: dict[str, int] = {}
    with db.atomic():
        for (pid, dtype), doc in sorted(docs.items()):
            if (pid, dtype) in {("anthropic", "Privacy Policy"), ("openai", "Terms of Service"),
                                ("google-gemini", "Acceptable Use Policy")}:
                continue
            text = GENERIC.format(doc=dtype, name=doc.platform.name,
                                  date=days(230).strftime("%B %-d, %Y"))
            v = add_version(doc, text, days(200) + dt.timedelta(minutes=7 * doc.id), "first",
                            None)
            last = NOW - dt.timedelta(hours=2 + doc.id % 5)
            extra = next((e for e in EXTRA_CHANGES if e[:2] == (pid, dtype)), None)
            if extra is not None:
                at = days(extra[2]) + dt.timedelta(minutes=doc.id)
                verified(doc, v, v.first_seen, at, every_h=24)
                v = add_version(doc, text.replace(*extra[3]), at, "change", v, read=extra[4])
            verified(doc, v, v.first_seen, last, every_h=24)
        priv = docs["anthropic", "Privacy Policy"]
        texts = privacy_versions()
        v = add_version(priv, texts[0], days(200), "first", None)
        verified(priv, v, days(200), days(150))
        v = add_version(priv, texts[1], days(150), "change", v, severity="medium")
        verified(priv, v, days(150), days(72))
        v = add_version(priv, texts[2], days(72), "noise", v)
        verified(priv, v, days(72), days(1.2))
        v = add_version(priv, texts[3], days(1.2), "change", v, severity="high", read=False)
        verified(priv, v, days(1.2), NOW - dt.timedelta(hours=3), every_h=6)
        Check.create(document=priv, started_at=NOW - dt.timedelta(hours=8, minutes=30),
                     outcome="blocked", http_status=403, duration_s=0.8,
                     reason="bot challenge (Cloudflare): \u201cJust a moment...\u201d")
        Check.create(document=priv, started_at=NOW - dt.timedelta(hours=20), http_status=200,
                     outcome="unchanged", version=v, reason="unconfirmed change: a second fetch "
                     "disagreed (its text differs again); nothing recorded")
        ids["change"] = Change.get(Change.to_version == v).id
        ids["document"], ids["version"] = priv.id, v.id
        tos, terms_date = docs["openai", "Terms of Service"], days(300).strftime("%B %-d, %Y")
        v = add_version(tos, TERMS_V1.format(date=terms_date), days(190), "first", None)
        verified(tos, v, days(190), days(64), every_h=24)
        new = TERMS_V1.format(date=days(64).strftime("%B %-d, %Y")).replace(
            "You must be at least 13 years old", "You must be at least 13 years old (16 in the "
            "European Economic Area)")
        v = add_version(tos, new, days(64), "change", v)
        verified(tos, v, days(64), NOW - dt.timedelta(hours=5), every_h=24)
        aup = docs["google-gemini", "Acceptable Use Policy"]
        v = add_version(aup, AUP_V1, days(180), "first", None)
        verified(aup, v, days(180), days(3), every_h=24)
        new = AUP_V1.replace("- Generate sexually explicit", "- Generate content that "
                             "impersonates a candidate, an election official or a government "
                             "body, or misleads people about how, when or where to vote.\n"
                             "- Generate sexually explicit").replace(
            "We may suspend or terminate", "We may limit features, suspend or terminate")
        v = add_version(aup, new, days(3), "change", v, read=False)
        verified(aup, v, days(3), NOW - dt.timedelta(hours=4), every_h=24)
        failing(docs["x", "Terms of Service"], "blocked",
                "bot challenge (Cloudflare): \u201cJust a moment...\u201d",
                [days(1.5), days(1), days(0.5), NOW - dt.timedelta(hours=2)])
        failing(docs["reddit", "Privacy Policy"], "error",
                "timeout: no answer from www.redditinc.com within 20 s",
                [days(1), days(0.5), NOW - dt.timedelta(hours=1)])
    return ids


DARK = dict(Window="#2b2d31", WindowText="#e6e6e6", Base="#1e1f22", AlternateBase="#26282c",
            Text="#e6e6e6", Button="#33363b", ButtonText="#e6e6e6", Highlight="#3d6fb6",
            HighlightedText="#ffffff", PlaceholderText="#9aa0a6", Link="#7cacf8", Mid="#44474d")


def dark_palette():  # -> QPalette, like a dark desktop theme hands it to the app
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette()
    for role, color in DARK.items():
        pal.setColor(getattr(QPalette.ColorRole, role), QColor(color))
    return pal


def shoot(folder: Path, ids: dict[str, int]) -> list[Path]:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from watcher_app.ui.main_window import MainWindow
    from watcher_app.ui.picker import PickerDialog

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    suffix = ""
    if "--dark" in sys.argv:  # check that every view reads well on a dark desktop too
        app.setPalette(dark_palette())
        suffix = "-dark"
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    only = sys.argv[sys.argv.index("--only") + 1:] if "--only" in sys.argv else []

    def save(widget, name: str) -> None:  # noqa: ANN001 - any QWidget
        QTest.qWait(400)
        if only and name not in only:
            return
        if suffix and name not in ("main-window-feed", "diff-view"):
            return  # the dark set only proves the palette is followed
        written.append(OUT / f"{name}{suffix}.png")
        widget.grab().save(str(written[-1]))

    db = open_database(folder)
    window = MainWindow(db, folder)
    window.resize(1280, 800)
    window.show()

    def expand(*keep: str) -> None:
        for key, item in window.sidebar._items.items():
            if key.startswith("p:"):
                item.setExpanded(key[2:] in keep)

    expand("google-gemini", "reddit")
    window.feed.table.selectRow(0)
    save(window, "main-window-feed")
    expand("anthropic", "x")
    window.sidebar.select(f"d:{ids['document']}")
    save(window, "timeline")
    window.open_change(ids["change"])
    QTest.qWait(800)
    window.diff.jump_to_heading("4. Sharing")
    save(window, "diff-view")
    for name, dialog in (("evidence", lambda: window.show_evidence(ids["version"])),
                         ("settings", window.open_settings)):
        shown = dialog()
        save(shown, name)
        shown.close()
    window.sidebar.select("nav:alerts")
    save(window, "notification-log")
    picker = PickerDialog(db, window)
    picker.resize(900, 640)
    picker.reveal("anthropic", expand=True)
    picker.show()
    save(picker, "picker")
    picker.close()
    archives = sorted((REPO.parent / "shared" / "opentermsarchive").glob("*-declarations-main.zip"))
    if archives:
        from watcher_app.ota.sync import update_catalog

        update_catalog(folder, [str(a) for a in archives])
        picker = PickerDialog(db, window)
        picker.resize(960, 680)
        picker.show()
        picker.reveal("google-play", expand=True)  # one document names a filter not run
        picker.tree.scrollTo(picker.index_of("google-play"),
                             picker.tree.ScrollHint.PositionAtTop)
        picker.tree.verticalScrollBar().setValue(max(0,
                                                     picker.tree.verticalScrollBar().value() - 6))
        save(picker, "picker-ota")
        picker.close()
    window.close()
    return written


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gw-shots-") as tmp:
        for path in shoot(Path(tmp), build(Path(tmp))):
            print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
