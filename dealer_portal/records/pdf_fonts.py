"""Where the portal's PDFs (invoices, sales contracts) find a font with Chinese glyphs: the first of
`CJK_FONTS` that is installed (scripts/ensure_system_packages.sh installs Debian's fonts-wqy-zenhei;
fonts-noto-cjk or fonts-wqy-microhei serve too)."""

from __future__ import annotations

from pathlib import Path

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


def cjk_font(candidates: tuple[Path, ...] | None = None) -> Path | None:
    """The first installed CJK font of `candidates` (default `CJK_FONTS`), or None."""
    return next((p for p in (CJK_FONTS if candidates is None else candidates) if p.is_file()), None)
