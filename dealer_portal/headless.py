"""How the portal's screenshots and browser tests start Debian's Chromium headless.

Playwright's own browser download cannot work offline, so both launch the system Chromium; the flags
keep it from reaching for Google's services, which this machine's closed network refuses.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
