"""Policy texts written for the analysis tests (no publisher's text is copied): a privacy
policy, terms of service and a policy for AI features of an invented company, in the
normalised text format the app stores (one block per line, `#` headings, `- ` list items).
"""

from __future__ import annotations

PRIVACY = "\n".join([
    "# Lumen Notes Privacy Policy",
    "Last updated: March 3, 2025",
    "This Privacy Policy explains how Lumen Labs Ltd (\"Lumen\", \"we\", \"us\") handles "
    "personal information when you use the Lumen Notes apps and website (the \"Services\").",
    "## 1. Information we collect",
    "We collect the following information when you create an account or use the Services:",
    "- Account details such as your name, e-mail address and password.",
    "- The notes, files and recordings you store in the Services.",
    "- Technical data such as your device type, operating system and approximate location "
    "derived from your IP address.",
    "We do not collect your precise location.",
    "## 2. How we use your information",
    "We use your information to run and improve the Services, to keep them safe and to "
    "answer your support requests.",
    "We use cookies to remember your preferences and to keep you signed in.",
    "Notes flagged by our abuse filters are reviewed by automated systems.",
    "## 3. Sharing your information",
    "We share your information with service providers who process it on our behalf.",
    "We do not sell your personal information.",
    "We do not share your notes with advertisers.",
    "We disclose information to law enforcement only in response to a valid court order.",
    "We will notify you before disclosing your data to law enforcement unless we are "
    "prohibited by law from doing so.",
    "## 4. How long we keep information",
    "We keep activity logs for 30 days.",
    "We delete voice recordings after 30 days.",
    "We retain backups for 12 months.",
    "## 5. Security",
    "We encrypt your notes in transit and at rest.",
    "We will notify you within 72 hours of becoming aware of a breach affecting your data.",
    "## 6. Your rights and choices",
    "You can delete your account and all associated data at any time in your settings.",
    "You can download a copy of your data at any time.",
    "We will respond to your request within 30 days.",
    "You can opt out of marketing e-mails by using the link in each message.",
    "## 7. Children",
    "The Services are not directed at children under 13.",
    "We do not knowingly collect information from children under 13.",
    "Users under 18 need the consent of a parent or guardian to use the Services.",
    "## 8. Changes to this policy",
    "We will notify you at least 30 days before changes to this policy take effect.",
    "## 9. Contact us",
    "If you have questions, please contact us.",
    "Write to privacy@lumen.example or to Lumen Labs Ltd, 12 Harbour Street, Portsmouth.",
])

TERMS = "\n".join([
    "# Lumen Notes Terms of Service",
    "Effective: March 3, 2025",
    "These Terms are an agreement between you and Lumen Labs Ltd (\"Lumen\", \"we\", \"us\").",
    "## 1. Your account",
    "You must be at least 16 years old to use the Services.",
    "You are responsible for keeping your password secure.",
    "## 2. Your content",
    "You keep ownership of the notes and files you upload.",
    "You grant us a non-exclusive, royalty-free licence to host and display your content "
    "to operate the Services.",
    "This licence ends when you delete your content.",
    "## 3. Acceptable use",
    "You may not use the Services to:",
    "- break the law or help others to do so;",
    "- send spam or malware;",
    "- harass other people.",
    "## 4. Paid plans",
    "Subscription fees are $10 per month.",
    "You may request a refund within 14 days of purchase.",
    "You can cancel your subscription at any time.",
    "## 5. Suspension and termination",
    "We may suspend your account if you materially breach these Terms.",
    "We will give you 30 days' notice before we close your account for inactivity.",
    "## 6. Liability",
    "We are liable for losses caused by our negligence.",
    "Our total liability to you will not exceed $500.",
    "## 7. Disputes",
    "Any dispute will be resolved by the courts of your country of residence.",
    "These Terms are governed by the laws of your country of residence.",
    "You must bring any claim within two years of the events giving rise to it.",
    "## 8. Changes to these Terms",
    "We will notify you by e-mail at least 30 days before any material change to these "
    "Terms takes effect.",
    "## 9. Contact",
    "Lumen Labs Ltd, 12 Harbour Street, Portsmouth. E-mail: legal@lumen.example.",
])

AI_FEATURES = "\n".join([
    "# Lumen AI Features Policy",
    "Last updated: March 3, 2025",
    "This policy explains how the AI features of Lumen Notes (\"AI Features\") handle your "
    "content.",
    "## How AI Features use your content",
    "When you use AI Features, we send the notes you select to our model to generate a "
    "summary or an answer.",
    "We use your content to provide and maintain the AI Features.",
    "Content submitted through the AI Features is not used to train our models.",
    "We only use ratings you give to answers to improve our models if you opt in.",
    "## Review of conversations",
    "Conversations flagged by our safety systems are reviewed by automated systems.",
    "## Your choices",
    "You can turn off AI Features at any time in your settings.",
    "## Retention",
    "We keep AI conversation history for 30 days.",
])

NOTICE = "\n".join([
    "# Orbit Photos Privacy Notice",
    "Last updated: January 12, 2025",
    "## What we keep",
    "Photos you upload are deleted after 24 hours.",
    "We retain your data for as long as your account is active.",
    "## Who sees your data",
    "Our support team can access your files only with your permission.",
    "We may share aggregated, de-identified data with partners.",
    "We will never share your health data with insurers.",
    "We don't use your messages for advertising.",
    "## Where your data is",
    "We store your data in the European Union.",
    "## Your account",
    "We may suspend your account after notifying you.",
    "You may cancel at any time and receive a prorated refund.",
    "## Disputes",
    "You waive any right to participate in a class action against Orbit.",
])

DOCUMENTS = {"privacy": PRIVACY, "terms": TERMS, "ai": AI_FEATURES, "notice": NOTICE}


def swap(text: str, old: str, new: str) -> str:
    """The text with one clause replaced (it must occur exactly once)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)
