#!/usr/bin/env bash
# The tests drive real programs: headless Chromium (portal tests), Mosquitto (broker tests),
# espeak-ng (spoken alerts), libfaketime (device clock jumps), a CJK font (invoice PDFs). Install the missing ones from Debian's packages when we may;
# otherwise say which tests will skip.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ] || need+=(libfaketime)   # clock-jump fault test
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)  # Chinese text in the portal's invoice PDFs
((${#need[@]})) || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/dms-apt.log 2>&1 \
    || { echo "apt-get failed (see /tmp/dms-apt.log); tests that need ${need[*]} will skip"; exit 0; }
else
  echo "missing system packages: ${need[*]} (install them with apt-get as root); the tests that need them will skip"
fi
