"""Open Terms Archive service ids ("Claude.ai", "Booking.com", "DALL·E") and this app's
platform ids ("anthropic", "booking.com", "dall-e").

A bundled platform names its OTA service(s) with `otaServiceId` in its catalogue file; until
every bundled file carries it, `BUNDLED_OTA_SERVICES` gives the pairs found by name and
documents (`../shared/catalog-snapshots/newer-declarations/index.tsv`). A service no bundled
platform claims gets the slug of its id; a slug equal to a bundled id is that platform.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

BUNDLED_OTA_SERVICES: dict[str, tuple[str, ...]] = {
    "amazon": ("Amazon.com",),
    "anthropic": ("Claude.ai",),
    "app-store": ("App Store",),
    "apple": ("Apple",),
    "bluesky": ("Bluesky",),
    "cursor": ("Cursor",),
    "deepseek": ("DeepSeek",),
    "discord": ("Discord",),
    "facebook": ("Facebook",),
    "github": ("GitHub",),
    "github-copilot": ("GitHub Copilot",),
    "google": ("Google",),
    "google-gemini": ("Google Generative AI Services",),
    "hugging-face": ("Hugging Face",),
    "instagram": ("Instagram",),
    "linkedin": ("LinkedIn",),
    "llama": ("Llama API",),
    "meta-ai": ("Meta AI",),
    "microsoft": ("Microsoft",),
    "microsoft-copilot": ("Microsoft Copilot",),
    "mistral": ("Le Chat",),
    "openai": ("ChatGPT",),
    "perplexity": ("Perplexity",),
    "pinterest": ("Pinterest",),
    "reddit": ("Reddit",),
    "snapchat": ("Snapchat",),
    "spotify": ("Spotify",),
    "telegram": ("Telegram",),
    "tiktok": ("TikTok",),
    "whatsapp": ("WhatsApp",),
    "x": ("X", "Twitter"),  # OTA keeps the old name as its own service
    "xai-grok": ("Grok",),
    "youtube": ("YouTube",),
    "zoom": ("Zoom",),
}


def slug(service_id: str) -> str:
    """A platform id for an OTA service id: ASCII-folded, lowercase, runs of other characters
    as one '-'; dots kept ("Booking.com" → "booking.com"). Never empty, at most 80 chars."""
    text = unicodedata.normalize("NFKD", service_id).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\.{2,}", ".", re.sub(r"[^a-z0-9.]+", "-", text)).strip("-.")[:64].strip("-.")
    if not text:  # a name of symbols only: a stable id from its hash
        text = "ota-" + hashlib.sha256(service_id.encode()).hexdigest()[:12]
    return text
